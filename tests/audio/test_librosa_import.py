"""librosa is imported under one lock, so two processes never compile its numba cache at once."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from filelock import FileLock

import moodtune
from moodtune.audio._librosa import lock_path

SRC = Path(moodtune.__file__).parent


def test_no_moodtune_module_imports_librosa_around_the_lock() -> None:
    importing = re.compile(r"^\s*(import librosa|from librosa\b)", re.MULTILINE)
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "_librosa.py" and importing.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_a_second_process_waits_for_the_lock_before_importing() -> None:
    code = (
        "import sys, time\n"
        "from moodtune.audio._librosa import import_librosa\n"
        "import_librosa()\n"
        "print('imported' if 'librosa.feature' in sys.modules else 'missing')\n"
    )
    with FileLock(str(lock_path())):
        child = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(1.5)
        assert child.poll() is None  # it waits: it may not compile while another process does
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert out.strip() == "imported"


def test_analysing_a_file_imports_no_librosa_module_outside_the_lock(
    audio_files: dict[str, Path],
) -> None:
    code = (
        "import sys\n"
        "from moodtune.audio._librosa import import_librosa\n"
        "from moodtune.audio.scan import analyse_file\n"
        "import_librosa()\n"
        "before = {m for m in sys.modules if m.startswith('librosa')}\n"
        f"result = analyse_file({str(audio_files['minor.mp3'])!r})\n"
        "assert result.ok, result.reason\n"
        "print(sorted({m for m in sys.modules if m.startswith('librosa')} - before))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
