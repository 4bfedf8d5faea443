"""A simulated clock for the stand-ins (test code).

MediaPackage caches its CDN identifier secret for minutes and a CDN takes minutes to deploy a
configuration change; the tests and the demo walk through those waits tick by tick without
sleeping. Only the stand-ins read this clock; the provider and the emulator keep real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class SimulatedClock:
    """Seconds since the start of a scenario; moves only when told to."""

    now: float = 0.0

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.now += seconds
        return self.now

    def ticks(self, seconds: float, tick: float) -> Iterator[float]:
        """Advance by ``seconds`` in steps of at most ``tick``, yielding the time after each
        step: whoever waits (MediaTailor fetching, a viewer playing) acts at every tick."""
        waited = 0.0
        while waited < seconds:
            step = min(tick, seconds - waited)
            waited += step
            yield self.advance(step)

    def __str__(self) -> str:
        minutes, seconds = divmod(int(self.now), 60)
        return f"t={minutes:02d}:{seconds:02d}"
