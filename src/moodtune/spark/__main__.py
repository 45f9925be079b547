"""``python -m moodtune.spark`` or ``spark-submit …/moodtune/spark/__main__.py``: spark commands.

Under ``spark-submit`` pass ``--master ""`` to each command so the session keeps the cluster's
master instead of ``local[2]``.
"""

from __future__ import annotations

import sys

from moodtune.cli._common import handle_errors
from moodtune.cli.spark import app

if __name__ == "__main__":
    sys.exit(handle_errors(app))
