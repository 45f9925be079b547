"""The insights report for a running app: built once per ``Services``, in the background.

A first build may run the uncached evaluations (tens of seconds), which must not happen inside
a request: the first request starts the build in a thread and gets its progress; later
requests get the finished report from memory.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from moodtune.insights.report import InsightsReport, ReportOptions, build_report

if TYPE_CHECKING:
    from moodtune.app.services import Services

__all__ = ["ReportProgress", "report_for"]


@dataclass
class ReportProgress:
    """The report once built; meanwhile what is being computed, or why it failed."""

    report: InsightsReport | None = None
    step: str = "starting"
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


_LOCK = threading.Lock()
_BUILDS: weakref.WeakKeyDictionary[Services, ReportProgress] = weakref.WeakKeyDictionary()


def _run(services: Services, progress: ReportProgress, options: ReportOptions | None) -> None:
    def on_step(step: str) -> None:
        progress.step = step

    try:
        progress.report = build_report(services, options=options, on_step=on_step)
    except Exception as exc:  # shown on the page; the thread must not die silently
        progress.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        progress.done.set()


def report_for(
    services: Services, *, options: ReportOptions | None = None, wait: float = 0.0
) -> ReportProgress:
    """The report's progress for ``services``; starts the build the first time it is asked.

    ``wait`` seconds are spent waiting for a build in progress (a warm build takes a few).
    """
    with _LOCK:
        progress = _BUILDS.get(services)
        if progress is None:
            progress = ReportProgress()
            _BUILDS[services] = progress
            threading.Thread(
                target=_run,
                args=(services, progress, options),
                name="moodtune-insights",
                daemon=True,
            ).start()
    if wait > 0:
        progress.done.wait(wait)
    return progress
