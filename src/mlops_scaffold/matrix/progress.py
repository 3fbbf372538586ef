"""Progress of a long tier: a bar on a terminal, a line per 5% in CI logs."""

from __future__ import annotations

import sys
import time


class Progress:
    """A one-line progress bar on a terminal; a line per 5% otherwise (CI logs)."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream
        self.started = time.perf_counter()
        self.tty = stream.isatty()
        self._last_percent = -5

    def advance(self, label: str, passed: bool) -> None:
        self.done += 1
        self.failed += not passed
        elapsed = time.perf_counter() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        percent = 100 * self.done // self.total
        bar = "#" * (percent // 4)
        line = f"[{bar:<25}] {self.done}/{self.total} {percent:3d}%  failed {self.failed}  eta {eta:4.0f}s  {label}"
        if self.tty:
            print("\r" + line[:150].ljust(150), end="", file=self.stream, flush=True)
            if self.done == self.total:
                print(file=self.stream)
        elif percent >= self._last_percent + 5 or self.done == self.total:
            self._last_percent = percent
            print(line, file=self.stream, flush=True)
