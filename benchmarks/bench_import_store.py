"""History import end to end, storing matched plays and the "mood unknown" ones.

Usage: python benchmarks/bench_import_store.py [--plays 20000 --catalog 28356]

The synthetic catalog and extended history of ``bench_connectors.build`` (30 % of the distinct
tracks not in the catalog), imported with ``app.connectors.import_history`` into a fresh SQLite
database: prints how many plays matched and were stored, how many were kept as mood unknown,
the import's wall time, and the time to list the listener's mood-unknown tracks.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_connectors import build

from moodtune.app.connectors import import_history, mood_unknown
from moodtune.app.services import Services
from moodtune.connectors.matching import CatalogMatcher
from moodtune.sessions import create_listener
from moodtune.store import make_engine, upgrade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plays", type=int, default=20_000)
    parser.add_argument("--catalog", type=int, default=28_356)
    args = parser.parse_args()
    catalog, data = build(args.plays, args.catalog)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.sqlite3")
        upgrade(engine)
        services = Services(engine=engine)
        # The matcher alone (built outside the timing): the synthetic catalog has no moods.
        services._matcher = CatalogMatcher(catalog)
        person = create_listener(engine)
        started = time.perf_counter()
        report = import_history(services, person.id, [("Streaming_History_Audio_0.json", data)])
        imported = time.perf_counter() - started
        started = time.perf_counter()
        tracks = mood_unknown(services, person.id)
        listed = time.perf_counter() - started
        engine.dispose()
    print(
        f"{report.considered} plays: {report.matched} matched and stored ({report.added} new), "
        f"{report.unknown_added} kept as mood unknown ({len(tracks)} tracks); "
        f"import {imported:.2f} s ({report.considered / imported:,.0f} plays/s), "
        f"mood-unknown list {listed:.2f} s"
    )


if __name__ == "__main__":
    main()
