"""Rendering of ``moodtune bench web``: progress while it runs, then Rich tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moodtune.bench.web import run_web_bench

__all__ = ["render_report", "run_web_command"]


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.1f}x"


def render_report(report: dict[str, Any]) -> None:
    """Print the web benchmark report as Rich tables."""
    from rich.table import Table

    from moodtune.cli._common import console

    load, inproc = report["load"], report["in_process"]["flows"]
    table = Table(
        title=f"moodtune bench web: {load['clients']} clients for {load['seconds']:.0f} s "
        f"(think {load['think_s'][0]:g}-{load['think_s'][1]:g} s), ms; baseline = the same "
        "call in-process"
    )
    for col in ("endpoint", "n", "p50", "p95", "p99", "in-proc p50", "in-proc p99",
                "ratio p50", "errors"):  # fmt: skip
        table.add_column(col, justify="right")
    for label, q in load["endpoints"].items():
        base = inproc["endpoints"].get(label, {})
        short = label.replace("/api/v1", "").replace("/sessions/{id}", "…")
        table.add_row(short, str(q["n"]), _fmt(q["p50_ms"]), _fmt(q["p95_ms"]),
                      _fmt(q["p99_ms"]), _fmt(base.get("p50_ms")), _fmt(base.get("p99_ms")),
                      _ratio(q["p50_ms"], base.get("p50_ms")),
                      str(load["errors_by_endpoint"].get(label, 0)))  # fmt: skip
    console.print(table)
    console.print(
        f"load: {load['requests']} requests ({load['requests_per_s']:.1f}/s), "
        f"{load['journeys']} journeys, {load['errors']} errors, {load['refused']} journeys "
        "refused as infeasible (422, an answer)",
        highlight=False,
    )

    sat, sat_in = report["saturation"], report["in_process"]["saturation"]
    st = Table(title="Saturation: journeys back to back, no think time")
    for col in ("where", "concurrency", "journeys", "journeys/s", "p50", "p99", "errors"):
        st.add_column(col, justify="right")
    j = "POST /api/v1/sessions"
    for name, s, conc in (("HTTP", sat, sat["concurrency"]), ("in-process", sat_in, 1)):
        q = s["endpoints"].get(j, {})
        st.add_row(name, str(conc), str(s["journeys"]), _fmt(s["journeys_per_s"]),
                   _fmt(q.get("p50_ms")), _fmt(q.get("p99_ms")), str(s["errors"]))  # fmt: skip
    st.add_row("ratio", "", "", _ratio(sat["journeys_per_s"], sat_in["journeys_per_s"]),
               "", "", "")  # fmt: skip
    console.print(st)

    from moodtune.bench.tracks_report import targets_table

    console.print(targets_table(report["targets"], digits=1))
    server, machine = report["server"], report["machine"]
    console.print(
        f"[dim]server: uvicorn, {server['workers']} worker(s), ready in {server['ready_s']:.1f} "
        f"s, RSS idle {server['idle_rss_mb']:.0f} MB, after load "
        f"{server['after_load_rss_mb']:.0f} MB, peak {server['peak_rss_mb']:.0f} MB; PSS (shared "
        f"pages split among the processes) idle {server.get('idle_pss_mb', 0):.0f}, peak "
        f"{server.get('peak_pss_mb', 0):.0f} MB. {machine['cpus']} CPUs, Python "
        f"{machine['python']}, load average at start {machine['load_average']}; the clients "
        "run on the same machine.[/]",
        highlight=False,
    )
    for example in load["error_examples"] + sat["error_examples"]:
        console.print(f"[red]error:[/] {example}", highlight=False)


def run_web_command(
    *,
    clients: int,
    duration: float,
    saturation: float,
    concurrency: int,
    data_dir: Path | None,
    out: Path | None,
    as_json: bool,
    workers: int = 1,
) -> None:
    """The ``moodtune bench web`` command body: run with a status line, print, write JSON."""
    from moodtune.cli._common import err_console, print_json
    from moodtune.config import get_settings

    settings = get_settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    with err_console.status("starting the server") as status:

        def progress(stage: str, done: int, total: int) -> None:
            status.update(f"{stage} ({done}/{total})" if total > 1 else stage)

        report = run_web_bench(
            clients=clients,
            duration_s=duration,
            saturation_s=saturation,
            concurrency=concurrency,
            settings=settings,
            progress=progress,
            workers=workers,
        )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    if as_json:
        print_json(report)
    else:
        render_report(report)
