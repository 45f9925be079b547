"""Listener and track factors of an implicit-feedback model trained elsewhere, read for serving.

``moodtune spark train-cf`` writes a folder with ``users/`` and ``items/`` (Parquet: ``id``,
``factors``) and ``cf_meta.json`` (format, parameters, the temporal split and its metrics).
:func:`load_factors` reads it into arrays; a listener's scores for every track are one
matrix-vector product. A listener the model has not seen has no factors: that is a flagged
cold start (``known=False``), never a silent zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moodtune.errors import DataIntegrityError, InputError

__all__ = ["CF_FACTORS_FORMAT", "CF_META_FILE", "CfFactors", "ListenerScores", "load_factors"]

CF_FACTORS_FORMAT = 1
CF_META_FILE = "cf_meta.json"


@dataclass(frozen=True)
class ListenerScores:
    """A listener's score for every track (``track_ids`` order); ``known=False``: cold start."""

    listener_id: str
    known: bool
    scores: np.ndarray


@dataclass(frozen=True)
class CfFactors:
    """Factors as arrays: ``user_factors[i]`` belongs to ``listener_ids[i]``, likewise tracks."""

    listener_ids: tuple[str, ...]
    track_ids: tuple[str, ...]
    user_factors: np.ndarray  # (n_listeners, rank) float32
    item_factors: np.ndarray  # (n_tracks, rank) float32
    meta: dict[str, Any] = field(default_factory=dict)

    def scores(self, listener_id: str) -> ListenerScores:
        """Preference scores of ``listener_id`` for every track (zeros when unknown)."""
        rows = {lid: i for i, lid in enumerate(self.listener_ids)}
        row = rows.get(str(listener_id))
        if row is None:
            return ListenerScores(str(listener_id), False, np.zeros(len(self.track_ids)))
        return ListenerScores(
            str(listener_id), True, self.item_factors @ self.user_factors[row].astype(np.float64)
        )


def _read_side(folder: Path) -> tuple[tuple[str, ...], np.ndarray]:
    try:
        table = pd.read_parquet(folder)
    except (OSError, ValueError) as exc:
        raise DataIntegrityError(f"{folder}: not readable factors ({exc})") from None
    if not {"id", "factors"} <= set(table.columns):
        raise DataIntegrityError(f"{folder}: lacks the id and factors columns")
    table = table.sort_values("id", kind="stable")
    factors = np.stack(list(table["factors"])).astype(np.float32) if len(table) else None
    if factors is None:
        raise DataIntegrityError(f"{folder}: no factors")
    return tuple(str(i) for i in table["id"]), factors


def load_factors(path: str | Path) -> CfFactors:
    """Read a ``moodtune spark train-cf`` output folder; refuses another format."""
    folder = Path(str(path).removeprefix("file:"))
    meta_path = folder / CF_META_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"not a factors folder ({exc})", file=str(meta_path)) from None
    if meta.get("format") != CF_FACTORS_FORMAT:
        raise DataIntegrityError(
            f"{meta_path}: factors format {meta.get('format')!r}, this moodtune reads "
            f"{CF_FACTORS_FORMAT}; train them again"
        )
    listener_ids, users = _read_side(folder / "users")
    track_ids, items = _read_side(folder / "items")
    if users.shape[1] != items.shape[1]:
        raise DataIntegrityError(f"{folder}: listener rank {users.shape[1]} != {items.shape[1]}")
    return CfFactors(listener_ids, track_ids, users, items, meta)
