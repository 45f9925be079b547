"""The track catalog: one row per track, importers for common layouts, a Parquet cache.

``load_catalog()`` returns the active catalog (default: the ``spotify_songs`` dataset) with
its mood columns; ``import_catalog`` adds another from CSV or Parquet.
"""

from __future__ import annotations

from moodtune.catalog.importers import ImportReport, parse_mapping
from moodtune.catalog.loader import (
    DEFAULT_CATALOG,
    Catalog,
    ImportResult,
    active_catalog_name,
    catalog_info,
    import_catalog,
    list_catalogs,
    load_catalog,
    remove_catalog,
    use_catalog,
)
from moodtune.catalog.schema import AUDIO_FEATURES, BASE_COLUMNS, MOOD_COLUMNS, SCALED_FEATURES

__all__ = [
    "AUDIO_FEATURES",
    "BASE_COLUMNS",
    "DEFAULT_CATALOG",
    "MOOD_COLUMNS",
    "SCALED_FEATURES",
    "Catalog",
    "ImportReport",
    "ImportResult",
    "active_catalog_name",
    "catalog_info",
    "import_catalog",
    "list_catalogs",
    "load_catalog",
    "parse_mapping",
    "remove_catalog",
    "use_catalog",
]
