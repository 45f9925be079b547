"""The one small interface every moodtune recommender implements, and its pickle-free storage.

Modelled on implicit's ``RecommenderBase`` (``fit``, ``recommend``, ``save``/``load``, filtering
of already-liked items) and on Surprise's flagged fallback: when a recommendation cannot be made
the normal way (cold start), the recommender still answers, and says so in
``Recommendation.details["was_impossible"]`` and ``details["fallback"]``.

Estimator conventions follow scikit-learn: ``__init__`` only stores parameters, ``fit`` returns
``self``, learned state ends in ``_``, using an unfitted model raises ``NotFittedError``.

Storage: ``save`` writes one ``.npz`` file holding the learned arrays and a JSON header (class,
parameters, non-array state, the moodtune version and the storage format). Nothing is pickled;
``load`` reads with ``allow_pickle=False`` and refuses files from another class, another storage
format or another moodtune minor version, with a message saying what to do.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import tempfile
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar

import numpy as np

from moodtune import __version__
from moodtune.errors import InputError, check_is_fitted

__all__ = [
    "STATE_FORMAT",
    "Recommendation",
    "Recommender",
    "check_n",
    "load_recommender",
]

#: Version of the on-disk layout written by ``Recommender.save``; bump when it changes.
STATE_FORMAT = 1
_META_KEY = "__moodtune_meta__"
_NESTED = "__recommender__"

QueryT = TypeVar("QueryT")


@dataclass(frozen=True)
class Recommendation:
    """One recommended item with its score and a reason a person can read.

    ``details`` always holds ``was_impossible`` (True when the normal method could not be used)
    and ``fallback`` (``None``, or the name of the fallback used, e.g. ``"cold_start"``), plus
    the numbers the reason was built from.
    """

    item: str
    score: float
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def was_impossible(self) -> bool:
        """Whether the normal method could not be used and a fallback answered instead."""
        return bool(self.details.get("was_impossible", False))

    @property
    def fallback(self) -> str | None:
        """The fallback that produced this recommendation, or ``None``."""
        value = self.details.get("fallback")
        return None if value is None else str(value)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view (for ``--json`` output and the web API)."""
        return {"item": self.item, "score": self.score, "reason": self.reason, **self.details}


def check_n(n: object) -> int:
    """Validate the requested list length: a positive integer."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InputError(
            "the number of recommendations must be a positive integer",
            field="n",
            value=n,
            allowed="1, 2, 3, ...",
        )
    return int(n)


class Recommender(ABC, Generic[QueryT]):
    """Base of all recommenders: ``fit`` on data, ``recommend`` for one query, ``save``/``load``.

    Subclasses set ``items_`` (all recommendable item names) in ``fit`` and implement
    ``recommend`` and ``liked_items``. Learned attributes end in ``_`` and must be NumPy arrays,
    JSON-compatible values, or nested ``Recommender`` objects, so ``save`` can store them.
    """

    #: Short name used in reports and on the command line.
    name: ClassVar[str] = "recommender"

    items_: list[str]

    @abstractmethod
    def fit(self, data: Any) -> Self:
        """Learn from ``data``; returns ``self``."""

    @abstractmethod
    def recommend(
        self,
        query: QueryT,
        *,
        n: int = 3,
        filter_already_liked: bool = True,
        filter_items: Iterable[str] | None = None,
    ) -> list[Recommendation]:
        """The top ``n`` items for ``query``, best first, without duplicates.

        ``filter_already_liked`` drops the items ``liked_items(query)`` returns (as implicit's
        ``filter_already_liked_items`` does); ``filter_items`` drops further items by name.
        Fewer than ``n`` come back only when fewer candidates remain.
        """

    @abstractmethod
    def liked_items(self, query: QueryT) -> frozenset[str]:
        """Items the query already likes (dropped when ``filter_already_liked`` is set)."""

    # --- parameters and learned state ----------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (read from ``__init__``'s keyword names, as scikit-learn does)."""
        signature = inspect.signature(type(self).__init__)
        return {
            name: getattr(self, name)
            for name, parameter in signature.parameters.items()
            if name != "self" and parameter.kind is not parameter.VAR_KEYWORD
        }

    def _check_fitted(self) -> None:
        check_is_fitted(self, "items_")

    def _learned_attributes(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in vars(self).items()
            if key.endswith("_") and not key.startswith("_")
        }

    def _dump_state(self, prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for key, value in self._learned_attributes().items():
            if isinstance(value, np.ndarray):
                if value.dtype == object:
                    raise TypeError(f"{type(self).__name__}.{key}: object arrays cannot be saved")
                arrays[f"{prefix}{key}"] = value
                state[key] = {"__array__": f"{prefix}{key}"}
            elif isinstance(value, Recommender):
                state[key] = {_NESTED: value._dump(f"{prefix}{key}.", arrays)}
            else:
                json.dumps(value)  # fails loudly on anything that would not round-trip
                state[key] = value
        return state

    def _dump(self, prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        cls = type(self)
        return {
            "class": f"{cls.__module__}.{cls.__qualname__}",
            "params": self.get_params(),
            "state": self._dump_state(prefix, arrays),
        }

    @classmethod
    def _restore(
        cls, header: dict[str, Any], arrays: dict[str, np.ndarray], source: str
    ) -> Recommender[Any]:
        target = _resolve_class(header.get("class"), source)
        model = target(**header.get("params", {}))
        for key, value in header.get("state", {}).items():
            if isinstance(value, dict) and "__array__" in value:
                setattr(model, key, arrays[value["__array__"]])
            elif isinstance(value, dict) and _NESTED in value:
                setattr(model, key, cls._restore(value[_NESTED], arrays, source))
            else:
                setattr(model, key, value)
        return model

    # --- storage -------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to ``path`` (an ``.npz`` file, no pickle); returns the path.

        The file is written to a temporary name first and then moved into place, so a failed
        save never leaves a half-written model behind.
        """
        self._check_fitted()
        target = Path(path)
        arrays: dict[str, np.ndarray] = {}
        header = {
            "format": STATE_FORMAT,
            "moodtune_version": __version__,
            **self._dump("", arrays),
        }
        arrays[_META_KEY] = np.array(json.dumps(header))
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as fh:
                np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return target

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by ``save``; refuses another class or an incompatible version."""
        model = load_recommender(path)
        if not isinstance(model, cls):
            raise InputError(
                f"the file holds a {type(model).__name__}, not a {cls.__name__}",
                file=str(path),
                allowed=f"a model saved by {cls.__name__}.save()",
            )
        return model


def _resolve_class(qualified: object, source: str) -> type[Recommender[Any]]:
    if not isinstance(qualified, str) or not qualified.startswith("moodtune."):
        raise InputError(
            "the model file names no moodtune recommender class",
            file=source,
            value=qualified,
            allowed="a model saved by a moodtune recommender",
        )
    module_name, _, class_name = qualified.rpartition(".")
    try:
        target = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise InputError(
            "the model file names a class this moodtune does not have",
            file=source,
            value=qualified,
        ) from None
    if not (isinstance(target, type) and issubclass(target, Recommender)):
        raise InputError("the model file names a class that is not a recommender", file=source)
    return target


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def load_recommender(path: str | Path) -> Recommender[Any]:
    """Load any moodtune recommender written by ``Recommender.save``."""
    source = str(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise InputError("model file not found", file=source) from None
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"not a moodtune model file ({exc})", file=source) from None
    if _META_KEY not in arrays:
        raise InputError("not a moodtune model file (no header)", file=source)
    try:
        header = json.loads(str(arrays.pop(_META_KEY)))
    except json.JSONDecodeError as exc:
        raise InputError(f"the model header is not valid JSON ({exc})", file=source) from None
    if header.get("format") != STATE_FORMAT:
        raise InputError(
            "the model was written in another storage format",
            file=source,
            field="format",
            value=header.get("format"),
            allowed=f"format {STATE_FORMAT}; refit the model with this moodtune",
        )
    written_by = str(header.get("moodtune_version"))
    if _minor(written_by) != _minor(__version__):
        raise InputError(
            f"the model was written by moodtune {written_by}, this is {__version__}",
            file=source,
            field="moodtune_version",
            value=written_by,
            allowed=f"moodtune {'.'.join(_minor(__version__))}.x; refit the model",
        )
    return Recommender._restore(header, arrays, source)
