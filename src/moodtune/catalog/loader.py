"""Load, import, switch and describe catalogs; cached as Parquet with derived artefacts.

``load_catalog()`` returns the active catalog (``spotify_songs`` unless another was chosen with
``use_catalog``). The first call builds it from the registered dataset (one row per track,
mood columns, scaled features) and caches everything; later calls, in any process, read the
cache (a fraction of a second).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moodtune.artefacts import (
    MANIFEST_NAME,
    DamagedFileError,
    atomic_write_text,
    file_sha256,
    load_or_build,
    remove_lock,
    verify_folder,
    write_manifest,
)
from moodtune.artefacts import logger as artefact_logger
from moodtune.catalog.importers import (
    ImportReport,
    NormalisedCatalog,
    count_reasons,
    normalise_tracks,
    read_track_file,
)
from moodtune.catalog.scaling import FeatureScaler, feature_values
from moodtune.catalog.schema import BASE_COLUMNS, SCALED_FEATURES
from moodtune.catalog.store import (
    CATALOG_BUILD_VERSION,
    DEFAULT_CATALOG,
    RegistryFile,
    catalog_root,
    validate_catalog_name,
)
from moodtune.config import Settings, get_settings
from moodtune.errors import DataIntegrityError, InputError, ValidationReport

__all__ = [
    "DEFAULT_CATALOG",
    "Catalog",
    "ImportResult",
    "active_catalog_name",
    "catalog_info",
    "catalog_scaler",
    "import_catalog",
    "list_catalogs",
    "load_catalog",
    "load_default_tracks",
    "remove_catalog",
    "scaled_features",
    "use_catalog",
]

EXPLICIT_MISSING_NOTE = (
    "the source has no explicit-lyrics flag: explicit is NA for every track, so filters on "
    "explicit lyrics cannot be applied to this catalog"
)


@dataclass(frozen=True)
class Catalog:
    """One catalog: the track table and the arrays derived from it.

    ``tracks`` is indexed 0..n-1; row ``i`` of every array (``mood_cluster_proba``,
    ``scaled_features``) belongs to ``tracks.loc[i]``. Treat it as read-only: it is shared by
    every caller in the process.
    """

    name: str
    tracks: pd.DataFrame
    mood_cluster_proba: np.ndarray  # (n, k) float32; NaN rows where features are missing
    mood_cluster_names: tuple[str, ...]
    scaled_features: np.ndarray  # (n, len(feature_names)) float32 z-scores, 0 where missing
    feature_names: tuple[str, ...]
    meta: dict[str, Any]
    source: dict[str, Any]
    base_dir: Path
    derived_dir: Path

    @property
    def usable_tracks(self) -> pd.DataFrame:
        """Rows that may be recommended (index labels are positions in the arrays)."""
        return self.tracks[self.tracks["usable"].to_numpy(dtype=bool)]

    @property
    def explicit_available(self) -> bool:
        """Whether the source says which tracks have explicit lyrics."""
        return bool(self.tracks["explicit"].notna().any())

    @property
    def release_date_coverage(self) -> float:
        """Share of tracks with a known release date (0..1)."""
        return float(self.tracks["release_date"].notna().mean()) if len(self.tracks) else 0.0

    @property
    def fingerprint(self) -> str:
        return str(self.source.get("fingerprint", ""))


@dataclass
class ImportResult:
    """The outcome of ``import_catalog``: the new catalog's name, the report, the catalog."""

    name: str
    report: ImportReport
    catalog: Catalog
    replaced: bool = False
    active: bool = False


_LOADED: dict[str, Catalog] = {}

#: The files of a catalog's base folder (its track table) and of a derived folder; each folder
#: also holds a ``manifest.json`` with their sizes and sha256 (see ``moodtune.artefacts``).
BASE_FILES: tuple[str, ...] = ("tracks.parquet", "source.json")
DERIVED_FILES: tuple[str, ...] = (
    "mood.parquet",
    "mood_proba.npy",
    "scaled_features.npy",
    "meta.json",
)


def _key(fingerprint: str) -> str:
    return f"{fingerprint[:16]}-b{CATALOG_BUILD_VERSION}"


def _derived_name(settings: Settings) -> str:
    from moodtune.mood.annotate import MOOD_ANNOTATION_VERSION
    from moodtune.mood.fitted import default_model_path

    # The shipped model's own hash: re-fitting it rebuilds every catalog's mood tables.
    model = file_sha256(default_model_path())[:8]
    return f"derived-m{MOOD_ANNOTATION_VERSION}-{model}-s{settings.random_state}"


def active_catalog_name(settings: Settings | None = None) -> str:
    """The catalog ``load_catalog()`` returns: ``spotify_songs`` unless changed by ``use``."""
    settings = settings or get_settings()
    return str(RegistryFile(settings).read()["active"])


def list_catalogs(settings: Settings | None = None) -> list[dict[str, Any]]:
    """The default catalog and every imported one, with which is active."""
    settings = settings or get_settings()
    data = RegistryFile(settings).read()
    rows = [{"name": DEFAULT_CATALOG, "source": "dataset spotify_songs", "imported": False}]
    for name, entry in sorted(data["imported"].items()):
        rows.append(
            {
                "name": name,
                "source": entry.get("source_file"),
                "imported": True,
                "tracks": entry.get("tracks"),
                "imported_at": entry.get("imported_at"),
            }
        )
    for row in rows:
        row["active"] = row["name"] == data["active"]
    return rows


def use_catalog(name: str, *, settings: Settings | None = None) -> None:
    """Make ``name`` the active catalog (it must exist)."""
    settings = settings or get_settings()
    registry = RegistryFile(settings)
    with registry.editing() as data:
        known = [DEFAULT_CATALOG, *sorted(data["imported"])]
        if name not in known:
            raise InputError(
                f"unknown catalog {name!r}", field="name", value=name, allowed=", ".join(known)
            )
        data["active"] = name


def remove_catalog(name: str, *, settings: Settings | None = None) -> None:
    """Delete an imported catalog; if it was active, ``spotify_songs`` becomes active."""
    settings = settings or get_settings()
    if name == DEFAULT_CATALOG:
        raise InputError("the default catalog cannot be removed", field="name", value=name)
    registry = RegistryFile(settings)
    with registry.editing() as data:
        if name not in data["imported"]:
            raise InputError(
                f"unknown catalog {name!r}",
                field="name",
                value=name,
                allowed=", ".join(sorted(data["imported"])) or "(no imported catalogs)",
            )
        del data["imported"][name]
        if data["active"] == name:
            data["active"] = DEFAULT_CATALOG
    shutil.rmtree(catalog_root(settings) / name, ignore_errors=True)


def load_catalog(settings: Settings | None = None, *, name: str | None = None) -> Catalog:
    """The catalog ``name`` (default: the active one), from its cache when it is warm.

    Builds and caches the default catalog and any missing derived artefacts on first use.
    """
    settings = settings or get_settings()
    registry = RegistryFile(settings).read()
    name = name or str(registry["active"])
    entry: dict[str, Any] | None = None
    if name == DEFAULT_CATALOG:
        base_dir = _default_base_dir(settings)
    else:
        entry = registry["imported"].get(name)
        if entry is None:
            known = [DEFAULT_CATALOG, *sorted(registry["imported"])]
            raise InputError(
                f"unknown catalog {name!r}", field="catalog", value=name, allowed=", ".join(known)
            )
        base_dir = catalog_root(settings) / name / str(entry["key"])
    derived_dir = base_dir / _derived_name(settings)
    cached = _LOADED.get(str(derived_dir))
    if cached is not None and derived_dir.exists():
        return cached
    if entry is None:
        _load_or_build_default_base(base_dir, settings)
    else:
        _check_imported_base(name, base_dir, entry)
    catalog = _load_or_build_derived(name, base_dir, derived_dir, settings)
    _LOADED[str(derived_dir)] = catalog
    return catalog


def load_default_tracks(settings: Settings | None = None) -> pd.DataFrame:
    """The default catalog's track table alone (no mood columns), built once and cached.

    What fitting the mood model reads: it must not depend on the mood tables it produces.
    """
    settings = settings or get_settings()
    base_dir = _default_base_dir(settings)
    _load_or_build_default_base(base_dir, settings)
    return _read_tracks(base_dir)


def _load_or_build_derived(
    name: str, base_dir: Path, derived_dir: Path, settings: Settings
) -> Catalog:
    return load_or_build(
        derived_dir,
        files=DERIVED_FILES,
        build=lambda staged: _build_derived(base_dir, staged, settings, name=name),
        load=lambda folder: _read_catalog(name, base_dir, folder),
        what=f"the mood tables of catalog {name!r}",
    )


def _default_base_dir(settings: Settings) -> Path:
    from moodtune.data.registry import get_dataset

    return catalog_root(settings) / DEFAULT_CATALOG / _key(get_dataset(DEFAULT_CATALOG).sha256)


def _load_or_build_default_base(base_dir: Path, settings: Settings) -> None:
    """The default catalog's track table: checked, and rebuilt from the dataset if damaged."""
    load_or_build(
        base_dir,
        files=BASE_FILES,
        build=lambda staged: _build_default_base(staged, settings),
        load=lambda folder: None,
        what=f"the track table of catalog {DEFAULT_CATALOG!r}",
    )


def _build_default_base(staged: Path, settings: Settings) -> None:
    from moodtune.data.registry import fetch, get_dataset, load_table

    dataset = get_dataset(DEFAULT_CATALOG)
    raw_path = fetch(DEFAULT_CATALOG, settings=settings)
    # The mirror copy is verified against the pinned hash; a download is hashed itself.
    sha = dataset.sha256 if raw_path.name == dataset.filename else file_sha256(raw_path)
    frame = load_table(DEFAULT_CATALOG, settings=settings, fetcher=lambda *_, **__: raw_path)
    normalised = normalise_tracks(frame, file=str(raw_path), first_row=2)
    _write_base(
        staged,
        normalised,
        source={
            "kind": "dataset",
            "dataset": DEFAULT_CATALOG,
            "description": dataset.description,
            "source_file": str(raw_path),
            "fingerprint": sha,
        },
    )


def _check_imported_base(name: str, base_dir: Path, entry: dict[str, Any]) -> None:
    """An imported catalog's table is its own source: if damaged, say so; never guess it."""
    if not (base_dir / "tracks.parquet").exists() and not (base_dir / MANIFEST_NAME).exists():
        raise InputError(
            f"catalog {name!r} is registered but its files are missing ({base_dir}); "
            "import it again with replace=True",
            field="catalog",
            value=name,
        )
    try:
        verify_folder(base_dir, BASE_FILES)
    except DamagedFileError as exc:
        if not (base_dir / MANIFEST_NAME).exists() and _readable_base(base_dir):
            # Written by a moodtune that kept no manifest: adopt it as it reads.
            write_manifest(base_dir, BASE_FILES)
            artefact_logger.info("moodtune: recorded checksums for catalog %r", name)
            return
        raise DamagedFileError(
            exc.file,
            f"the stored track table of catalog {name!r} is damaged ({exc.check})",
            remedy=f"import it again from {entry.get('source_file')} (replacing it), "
            "or remove the catalog",
        ) from None


def _readable_base(base_dir: Path) -> bool:
    try:
        _read_tracks(base_dir)
        json.loads((base_dir / "source.json").read_text())
    except (DamagedFileError, OSError, ValueError):
        return False
    return True


def _write_base(folder: Path, normalised: NormalisedCatalog, *, source: dict[str, Any]) -> None:
    """Write the track table and its ``source.json`` into ``folder`` (a staging folder)."""
    report = normalised.report
    source = {
        **source,
        "build_version": CATALOG_BUILD_VERSION,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "report": report.as_dict(max_problems=200),
    }
    normalised.tracks.to_parquet(folder / "tracks.parquet", index=False)
    atomic_write_text(folder / "source.json", json.dumps(source, indent=2, default=str))


def catalog_scaler(tracks: pd.DataFrame) -> FeatureScaler:
    """The scaler of ``Catalog.scaled_features``: ``SCALED_FEATURES`` over the usable rows
    (over all rows when none is usable)."""
    values = feature_values(tracks, SCALED_FEATURES)
    usable = tracks["usable"].to_numpy(dtype=bool)
    return FeatureScaler.fit(values[usable] if usable.any() else values, features=SCALED_FEATURES)


def scaled_features(tracks: pd.DataFrame, scaler: FeatureScaler) -> np.ndarray:
    """(n, len(SCALED_FEATURES)) float32 z-scores of ``tracks``, 0 where a value is missing."""
    return scaler.transform(feature_values(tracks, SCALED_FEATURES)).astype(np.float32)


def _scaled_features(tracks: pd.DataFrame) -> tuple[np.ndarray, dict[str, list[float]]]:
    scaler = catalog_scaler(tracks)
    return scaled_features(tracks, scaler), {"mean": list(scaler.mean), "scale": list(scaler.scale)}


#: Below this many usable tracks an imported catalog borrows the default catalog's mood model
#: and clusters (a playlist of 15 songs cannot define its own mood clusters).
SMALL_CATALOG_TRACKS = 500
#: Without the default catalog at hand, a catalog needs this many tracks to fit its own.
MIN_OWN_FIT_TRACKS = 40


def _build_derived(
    base_dir: Path, staged: Path, settings: Settings, *, name: str = DEFAULT_CATALOG
) -> None:
    """Write the derived files (``DERIVED_FILES``) of ``base_dir``'s catalog into ``staged``."""
    from moodtune.mood.annotate import annotate_tracks

    tracks = _read_tracks(base_dir)
    usable = tracks["usable"].to_numpy(dtype=bool)
    reference = None
    if name != DEFAULT_CATALOG and usable.sum() < SMALL_CATALOG_TRACKS:
        try:
            reference = load_catalog(settings, name=DEFAULT_CATALOG).usable_tracks
        except DataIntegrityError as exc:
            if usable.sum() < MIN_OWN_FIT_TRACKS:
                raise InputError(
                    f"this catalog has {int(usable.sum())} usable tracks, too few to fit its own "
                    f"mood model and clusters (at least {MIN_OWN_FIT_TRACKS}), and the default "
                    f"catalog it would borrow them from is unavailable: {exc}",
                    field="tracks",
                ) from exc
    annotation = annotate_tracks(
        tracks, fit_mask=usable, reference=reference, random_state=settings.random_state
    )
    if reference is not None:
        annotation.description["reference"] = (
            f"this catalog has {int(usable.sum())} usable tracks (< {SMALL_CATALOG_TRACKS}): "
            f"its mood model and clusters were fitted on the {DEFAULT_CATALOG} catalog "
            f"({len(reference)} tracks)"
        )
    scaled, scaler = _scaled_features(tracks)
    meta = {
        "cluster_names": list(annotation.cluster_names),
        "feature_names": list(SCALED_FEATURES),
        "scaler": scaler,
        "mood": annotation.description,
        "random_state": settings.random_state,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    annotation.columns.to_parquet(staged / "mood.parquet", index=False)
    np.save(staged / "mood_proba.npy", annotation.cluster_proba.astype(np.float32))
    np.save(staged / "scaled_features.npy", scaled)
    atomic_write_text(staged / "meta.json", json.dumps(meta, indent=2, default=str))


def _read_tracks(base_dir: Path) -> pd.DataFrame:
    path = base_dir / "tracks.parquet"
    try:
        tracks = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's errors for a damaged file derive from these
        raise DamagedFileError(path, f"not a readable Parquet file ({exc})") from None
    missing = [c for c in BASE_COLUMNS if c not in tracks.columns]
    if missing:
        raise DamagedFileError(path, f"not a catalog track table (no column(s) {missing})")
    for column in ("genres", "subgenres"):
        tracks[column] = [list(v) if v is not None else [] for v in tracks[column].tolist()]
    return tracks


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise DamagedFileError(path, f"not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DamagedFileError(path, "not a JSON object")
    return data


def _read_array(path: Path, *, rows: int) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise DamagedFileError(path, f"not a readable .npy array ({exc})") from None
    if array.ndim != 2 or array.shape[0] != rows:
        raise DamagedFileError(path, f"shape {array.shape}, expected ({rows}, ...)")
    return array


def _read_catalog(name: str, base_dir: Path, derived_dir: Path) -> Catalog:
    """Read a catalog from its folders; a file that cannot be what it should raises
    ``DamagedFileError`` naming it."""
    tracks = _read_tracks(base_dir)
    mood_path = derived_dir / "mood.parquet"
    try:
        mood = pd.read_parquet(mood_path)
    except (OSError, ValueError) as exc:
        raise DamagedFileError(mood_path, f"not a readable Parquet file ({exc})") from None
    if len(mood) != len(tracks):
        raise DamagedFileError(mood_path, f"{len(mood)} rows, the track table has {len(tracks)}")
    tracks = pd.concat([tracks[list(BASE_COLUMNS)], mood.set_axis(tracks.index)], axis=1)
    meta = _read_json(derived_dir / "meta.json")
    source = _read_json(base_dir / "source.json")
    try:
        cluster_names = tuple(meta["cluster_names"])
        feature_names = tuple(meta["feature_names"])
    except (KeyError, TypeError) as exc:
        raise DamagedFileError(derived_dir / "meta.json", f"lacks {exc}") from None
    proba = _read_array(derived_dir / "mood_proba.npy", rows=len(tracks))
    scaled = _read_array(derived_dir / "scaled_features.npy", rows=len(tracks))
    return Catalog(
        name=name,
        tracks=tracks,
        mood_cluster_proba=proba,
        mood_cluster_names=cluster_names,
        scaled_features=scaled,
        feature_names=feature_names,
        meta=meta,
        source=source,
        base_dir=base_dir,
        derived_dir=derived_dir,
    )


def _default_tracks_for_linking(settings: Settings) -> pd.DataFrame | None:
    """The default catalog's tracks, to link id-less imports to; None when unavailable."""
    try:
        return load_default_tracks(settings)
    except DataIntegrityError as exc:
        artefact_logger.warning(
            "moodtune: tracks without ids were not linked to the default catalog: %s", exc
        )
        return None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    return slug[:64] or "imported"


def import_catalog(
    path: Path | str,
    *,
    name: str | None = None,
    mapping: dict[str, str] | None = None,
    replace: bool = False,
    strict: bool = False,
    use: bool = False,
    settings: Settings | None = None,
) -> ImportResult:
    """Add (or with ``replace``, replace) catalog ``name`` from a CSV or Parquet file.

    ``mapping`` maps catalog fields to the file's headers (``{"name": "Song Title"}``); known
    export layouts are recognised without it. Rows with bad values are kept as unusable and
    reported; with ``strict`` any problem aborts. On failure nothing is written and the
    active catalog is unchanged; on success the catalog becomes active only if ``use``.
    """
    settings = settings or get_settings()
    path = Path(path)
    name = validate_catalog_name(name or _slug(path.name.split(".")[0]))
    if name == DEFAULT_CATALOG:
        raise InputError(
            f"{DEFAULT_CATALOG!r} is the built-in catalog; choose another name",
            field="name",
            value=name,
        )
    registry = RegistryFile(settings)
    if name in registry.read()["imported"] and not replace:
        raise InputError(
            f"a catalog named {name!r} already exists; pass replace=True to replace it",
            field="name",
            value=name,
        )
    raw, first_row = read_track_file(path)
    normalised = normalise_tracks(
        raw,
        file=str(path),
        mapping=mapping,
        first_row=first_row,
        reference=lambda: _default_tracks_for_linking(settings),
    )
    report = normalised.report
    if strict and report.problems:
        raise ValidationReport(report.problems, file=str(path))
    if report.usable_tracks == 0:
        raise ValidationReport(
            report.problems or [InputError("no usable tracks", file=str(path))], file=str(path)
        )
    fingerprint = file_sha256(path)
    mapping_text = json.dumps(report.mapping, sort_keys=True)
    key = _key(hashlib.sha256((fingerprint + mapping_text).encode()).hexdigest())
    base_dir = catalog_root(settings) / name / key
    source = {
        "kind": "import",
        "source_file": str(path.resolve()),
        "fingerprint": fingerprint,
        "layout": report.layout,
    }
    created_name_dir, created_base = not base_dir.parent.exists(), not base_dir.exists()
    try:
        # The same file imported again heals a damaged stored table: its source is at hand.
        load_or_build(
            base_dir,
            files=BASE_FILES,
            build=lambda staged: _write_base(staged, normalised, source=source),
            load=lambda folder: None,
            what=f"the track table of catalog {name!r}",
        )
        derived_dir = base_dir / _derived_name(settings)
        catalog = _load_or_build_derived(name, base_dir, derived_dir, settings)
        previous: dict[str, Any] | None = None
        with registry.editing() as data:
            previous = data["imported"].get(name)
            if previous is not None and not replace:
                raise InputError(
                    f"a catalog named {name!r} already exists; pass replace=True to replace it",
                    field="name",
                    value=name,
                )
            data["imported"][name] = {
                "key": key,
                "source_file": str(path.resolve()),
                "layout": report.layout,
                "tracks": report.tracks,
                "usable_tracks": report.usable_tracks,
                "imported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            if use:
                data["active"] = name
            active = data["active"] == name
    except BaseException:
        # A failed import leaves nothing behind (a folder another import uses is kept).
        if created_name_dir:
            shutil.rmtree(base_dir.parent, ignore_errors=True)
        elif created_base:
            shutil.rmtree(base_dir, ignore_errors=True)
            remove_lock(base_dir)
        raise
    if previous is not None and previous.get("key") != key:
        shutil.rmtree(catalog_root(settings) / name / str(previous["key"]), ignore_errors=True)
        remove_lock(catalog_root(settings) / name / str(previous["key"]))
    _LOADED[str(derived_dir)] = catalog
    return ImportResult(
        name=name, report=report, catalog=catalog, replaced=previous is not None, active=active
    )


def catalog_info(settings: Settings | None = None, *, name: str | None = None) -> dict[str, Any]:
    """What ``moodtune catalog info`` shows: size, genres, exclusions, dates, moods, caches."""
    settings = settings or get_settings()
    catalog = load_catalog(settings, name=name)
    tracks = catalog.tracks
    genres = pd.Series([g for gs in tracks["genres"] for g in gs], dtype=object)
    subgenres = pd.Series([g for gs in tracks["subgenres"] for g in gs], dtype=object)
    precision = tracks["release_precision"].value_counts(dropna=True)
    usable = tracks["usable"].to_numpy(dtype=bool)
    cluster_sizes = tracks.loc[usable, "mood_cluster"].value_counts()
    quality = catalog.meta["mood"]["clusters"]["quality"]
    return {
        "name": catalog.name,
        "active": catalog.name == active_catalog_name(settings),
        "source": {k: v for k, v in catalog.source.items() if k != "report"},
        "tracks": len(tracks),
        "usable_tracks": int(usable.sum()),
        "excluded_tracks": int((~usable).sum()),
        "excluded_by_reason": count_reasons(tracks["exclusion_reason"]),
        "source_rows": catalog.source.get("report", {}).get("rows_read"),
        "duplicate_rows_merged": catalog.source.get("report", {}).get("duplicate_rows_merged"),
        "genres": {str(k): int(v) for k, v in genres.value_counts().items()},
        "subgenre_count": int(subgenres.nunique()),
        "tracks_in_several_genres": int(sum(len(g) > 1 for g in tracks["genres"])),
        "release_dates": {
            "coverage": catalog.release_date_coverage,
            "by_precision": {str(k): int(v) for k, v in precision.items()},
            "year_range": [
                int(tracks["release_year"].min()),
                int(tracks["release_year"].max()),
            ]
            if tracks["release_year"].notna().any()
            else None,
        },
        "explicit": {
            "available": catalog.explicit_available,
            "note": None if catalog.explicit_available else EXPLICIT_MISSING_NOTE,
            "explicit_tracks": int(tracks["explicit"].sum())
            if catalog.explicit_available
            else None,
        },
        "moods": {
            "model": catalog.meta["mood"]["model"],
            "quadrants": {
                str(k): int(v) for k, v in tracks.loc[usable, "quadrant"].value_counts().items()
            },
            "clusters": {str(k): int(v) for k, v in cluster_sizes.items()},
            "cluster_quality": quality,
        },
        "cache": {
            "tracks": str(catalog.base_dir / "tracks.parquet"),
            "derived": str(catalog.derived_dir),
            "registry": str(RegistryFile(settings).path),
        },
        "catalogs": list_catalogs(settings),
    }
