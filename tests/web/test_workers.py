"""Two uvicorn worker processes on PostgreSQL: concurrent signed-in listeners lose nothing.

The load is ``moodtune bench web --users N --workers 2`` in small: every write the server
acknowledged (2xx) is counted and compared with the rows stored afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest

from moodtune.bench.web_accounts import run_accounts_bench
from moodtune.config import Settings


@pytest.mark.postgres
def test_two_workers_lose_no_acknowledged_write(
    prepared: Any, real_settings: Settings, postgres_server: Any
) -> None:
    database = postgres_server.create_database()
    try:
        report = run_accounts_bench(
            users=8, workers=2, duration_s=12.0, think=(0.1, 0.4), settings=real_settings,
            database_url=database, argon2_repeats=2,
        )  # fmt: skip
    finally:
        postgres_server.drop_database(database)
    load, writes = report["load"], report["writes"]
    assert load["errors"] == 0, load["error_examples"]
    assert load["signed_in"] == 8
    acknowledged, stored = writes["acknowledged"], writes["stored"]
    assert acknowledged["sessions"] >= 8 and acknowledged["feedback"] >= 8
    assert writes["lost"] == 0 and stored == acknowledged, writes
    assert report["argon2"]["parameters"] == "m=65536,t=3,p=4"
