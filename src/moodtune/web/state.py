"""The app's start-up state: models are prepared in the background while pages already load."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from moodtune.app.services import Services, prepare_services
from moodtune.config import Settings

__all__ = ["Readiness", "freeze_prepared"]


def freeze_prepared() -> None:
    """Exempt what exists now (the prepared models: ~280,000 objects) from the cyclic garbage
    collector: a full collection walks every tracked object, ~175 ms here with the
    interpreter lock held, which every request in flight would wait for. The models live as
    long as the server; frozen objects are still freed when their last reference goes."""
    gc.collect()
    gc.freeze()


@dataclass
class Readiness:
    """Prepares ``Services`` once, in a thread, and says what it is doing meanwhile."""

    settings: Settings
    services: Services | None = None
    step: str = "starting"
    number: int = 0
    total: int = 0
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    on_step: Callable[[str, int, int], None] | None = None
    #: run once the models are ready, before they are frozen (``web.warmup.warm_up``)
    warm_up: Callable[[Services], None] | None = None
    _done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.services is not None:  # prepared before the app was made (forked workers)
            self.step = "ready"
            self._done.set()

    @property
    def ready(self) -> bool:
        return self.services is not None

    def _report(self, step: str, number: int, total: int) -> None:
        self.step, self.number, self.total = step, number, total
        if self.on_step is not None:
            self.on_step(step, number, total)

    def run(self) -> None:
        try:
            services = prepare_services(self.settings, on_step=self._report)
            if self.warm_up is not None:
                self.warm_up(services)
            freeze_prepared()
            self.services = services  # ready: pages no longer wait for the preparation
            self._report("ready", self.total, self.total)
        except Exception as exc:  # shown on every page instead of a traceback
            self.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self._done.set()

    def start(self) -> None:
        threading.Thread(target=self.run, name="moodtune-prepare", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)
