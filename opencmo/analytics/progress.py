"""A text progress bar for long analytics runs (the CLI draws it on stderr).

Engine functions take ``progress(fraction, label)`` callbacks; :class:`TextProgress` is one. It stays
silent for runs shorter than ``delay`` seconds, so quick runs print nothing extra, and draws in place
(carriage return) on a terminal or one line per 10 % otherwise.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Stages", "TextProgress"]


class TextProgress:
    def __init__(
        self, stream: TextIO | None = None, *, delay: float = 0.5, width: int = 30, enabled=True
    ) -> None:
        self.stream = stream or sys.stderr
        self.delay = delay
        self.width = width
        self.enabled = enabled
        self.started = time.monotonic()
        self.shown = False
        self.last_decile = -1
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, fraction: float, label: str = "") -> None:
        if not self.enabled:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        elapsed = time.monotonic() - self.started
        if elapsed < self.delay and not self.shown:
            return
        filled = round(self.width * fraction)
        bar = "█" * filled + "·" * (self.width - filled)
        line = f"{bar} {fraction:4.0%}  {elapsed:5.1f}s  {label}"
        if self.tty:
            self.stream.write("\r" + line[:100].ljust(100))
        else:
            decile = int(fraction * 10)
            if decile == self.last_decile:
                return
            self.last_decile = decile
            self.stream.write(line + "\n")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


class Stages:
    """Maps the progress of stage ``i`` of ``n`` onto one overall bar."""

    def __init__(self, progress: TextProgress, stages: int) -> None:
        self.progress = progress
        self.stages = max(stages, 1)
        self.current = 0
        self.name = ""

    def start(self, index: int, name: str) -> None:
        self.current, self.name = index, name
        self.progress(index / self.stages, name)

    def __call__(self, fraction: float, label: str = "") -> None:
        overall = (self.current + min(max(fraction, 0.0), 1.0)) / self.stages
        self.progress(overall, f"{self.name}: {label}" if label else self.name)
