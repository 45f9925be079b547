"""librosa, imported under one lock per machine user, because its first import compiles.

librosa's numba functions are compiled with ``cache=True`` when their module is imported (the
gufuncs name their signatures, so compiling is eager). On an empty cache that takes 15-25 s, and
two processes compiling the same gufunc at once can mix the two cache files numba writes for it:
the next process to load them crashes with a segmentation fault (numba#10128; seen here with two
test workers on a fresh install). Every moodtune import of librosa goes through
:func:`import_librosa`, which imports the modules it is asked for while holding a file lock, so
one process compiles and the others then load a whole cache.
"""

from __future__ import annotations

import getpass
import importlib
import sys
import tempfile
from pathlib import Path
from types import ModuleType

#: The librosa modules moodtune's own analysis reads (decoding, spectra, filters, onsets).
ANALYSIS_MODULES: tuple[str, ...] = (
    "librosa.core.audio",
    "librosa.core.spectrum",
    "librosa.feature",
    "librosa.filters",
    "librosa.onset",
)

#: What librosa's own recipe (``bench audio``'s baseline) adds: beat tracking and the CQT.
RECIPE_MODULES: tuple[str, ...] = (
    *ANALYSIS_MODULES,
    "librosa.beat",
    "librosa.core.constantq",
    "librosa.core.pitch",
)


def lock_path() -> Path:
    """The lock file: one per machine user, in the temporary directory (always writable)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        user = "user"
    return Path(tempfile.gettempdir()) / f"moodtune-librosa-{user}.lock"


def import_librosa(modules: tuple[str, ...] = ANALYSIS_MODULES) -> ModuleType:
    """Import ``modules`` of librosa (compiling them if the cache is empty) and return librosa.

    Modules already imported in this process cost nothing; the others are imported while the
    lock is held, so no two processes compile the same cache at once.
    """
    missing = [name for name in ("librosa", *modules) if name not in sys.modules]
    if missing:
        from filelock import FileLock

        with FileLock(str(lock_path())):
            for name in missing:
                importlib.import_module(name)
    return sys.modules["librosa"]
