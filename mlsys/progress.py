"""Progress of long work: the running step named, its progress shown, its time printed.

On a terminal a rich bar names the step that is running (never the one that finished); when
output is piped or logged, plain lines do the same: one when a step starts, progress lines on
long steps (and a "still running" line every ``heartbeat`` seconds of silence), one with the
step's time when it ends.
"""

from __future__ import annotations

import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO


@dataclass(frozen=True)
class StepTime:
    """One finished step: its name, how long it took, and its one-line outcome."""

    name: str
    seconds: float
    summary: str

    def line(self) -> str:
        return f"{self.name}: {self.summary} ({self.seconds:.1f} s)"


class Step:
    """The running step; ``advance`` moves its bar, ``done`` sets its outcome line."""

    def __init__(self, reporter: Progress, name: str, total: int | None) -> None:
        self.name = name
        self.total = total
        self.completed = 0
        self.summary = "done"
        self._reporter = reporter

    def advance(self, note: str = "") -> None:
        """One of ``total`` units done; ``note`` says what (e.g. the day just processed)."""
        self.completed += 1
        self._reporter.advanced(self, note)

    def done(self, summary: str) -> None:
        """The outcome printed when the step ends, e.g. "5 new of 150 real rows"."""
        self.summary = summary


class Progress(ABC):
    """Where steps report to; :meth:`step` times each one and records it in ``times``."""

    def __init__(self) -> None:
        self.times: list[StepTime] = []

    @contextmanager
    def step(self, name: str, total: int | None = None) -> Iterator[Step]:
        """Run one step: shown as running now, printed with its time when the block ends."""
        step = Step(self, name, total)
        start = time.perf_counter()
        self.started(step)
        try:
            yield step
        finally:
            record = StepTime(name, time.perf_counter() - start, step.summary)
            self.times.append(record)
            self.finished(step, record)

    @abstractmethod
    def started(self, step: Step) -> None:
        """``step`` begins."""

    @abstractmethod
    def advanced(self, step: Step, note: str) -> None:
        """``step`` completed one more unit."""

    @abstractmethod
    def finished(self, step: Step, record: StepTime) -> None:
        """``step`` ended (successfully or not) after ``record.seconds``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the terminal (rich) or stop timers."""


class SilentProgress(Progress):
    """Times steps and prints nothing (library calls without a reporter)."""

    def started(self, step: Step) -> None:
        pass

    def advanced(self, step: Step, note: str) -> None:
        pass

    def finished(self, step: Step, record: StepTime) -> None:
        pass


class PlainProgress(Progress):
    """Plain lines for logs and pipes: start, progress (about every tenth), heartbeat, end."""

    def __init__(self, stream: TextIO | None = None, heartbeat: float = 15.0) -> None:
        super().__init__()
        self._stream = stream or sys.stdout
        self._heartbeat = heartbeat
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        with self._lock:
            self._last = time.monotonic()
            print(text, file=self._stream, flush=True)

    def started(self, step: Step) -> None:
        of = f" ({step.total} steps)" if step.total else ""
        self._print(f"{step.name}: running{of}...")
        self._watch(step)

    def advanced(self, step: Step, note: str) -> None:
        total = step.total or 0
        every = max(1, total // 10)
        if total and (step.completed % every == 0 or step.completed == total):
            self._print(f"  {step.completed}/{total}{' ' + note if note else ''}")

    def finished(self, step: Step, record: StepTime) -> None:
        self._unwatch()
        self._print(record.line())

    def _watch(self, step: Step) -> None:
        """Print "still running" after each ``heartbeat`` seconds without a line."""
        self._unwatch()
        stop = threading.Event()
        begun = time.monotonic()

        def beat() -> None:
            while not stop.wait(1.0):
                if time.monotonic() - self._last >= self._heartbeat:
                    self._print(f"  {step.name}: still running "
                                f"({time.monotonic() - begun:.0f} s)")

        self._stop = stop
        self._thread = threading.Thread(target=beat, name="mlsys-progress", daemon=True)
        self._thread.start()

    def _unwatch(self) -> None:
        if self._stop is not None and self._thread is not None:
            self._stop.set()
            self._thread.join()
        self._stop = self._thread = None

    def close(self) -> None:
        self._unwatch()


class RichProgress(Progress):
    """A rich bar on a terminal: spinner, the running step's name, bar, count, elapsed time."""

    def __init__(self) -> None:
        super().__init__()
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as Bar

        self._bar = Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), transient=True)
        self._bar.start()
        self._tasks: dict[int, Any] = {}

    def started(self, step: Step) -> None:
        self._tasks[id(step)] = self._bar.add_task(step.name, total=step.total)

    def advanced(self, step: Step, note: str) -> None:
        task = self._tasks[id(step)]
        shown = f"{step.name} — {note}" if note else step.name
        self._bar.update(task, advance=1, description=shown)

    def finished(self, step: Step, record: StepTime) -> None:
        self._bar.remove_task(self._tasks.pop(id(step)))
        self._bar.console.print(record.line(), highlight=False, markup=False)

    def close(self) -> None:
        self._bar.stop()


def progress_for(stream: TextIO | None = None) -> Progress:
    """Rich on a terminal, plain lines otherwise (a pipe, a log file, CI)."""
    stream = stream or sys.stdout
    return RichProgress() if stream.isatty() else PlainProgress(stream)
