from __future__ import annotations

import subprocess
import sys

import moodtune


def test_every_public_name_resolves() -> None:
    for name in moodtune.__all__:
        assert getattr(moodtune, name) is not None


def test_importing_moodtune_stays_light() -> None:
    code = (
        "import sys, moodtune, moodtune.cli; "
        "print(sorted(m for m in ('pandas', 'sklearn', 'faiss') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
