"""Terminal output shared by the commands: tables, progress and one-line errors.

Colour and a live progress bar (updated in place) only on a terminal. On a pipe or in CI the
same progress is a few plain lines (the start, each quarter of the work, a heartbeat while a
long step runs, the end), so a log stays readable however many steps the work has.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# A progress callback receives (description, completed, total); every long-running function of
# the suite accepts one so the command line can show where it is. Call it as often as you like
# (once per row, per check): what reaches the screen is throttled here.
ProgressCallback = Callable[[str, int, int], None]

MILESTONES = 4  # off a terminal: one line per quarter of the work
HEARTBEAT_SECONDS = 30.0  # off a terminal: at most this long without a line while work goes on


def _console(**kwargs) -> Console:
    console = Console(highlight=False, **kwargs)
    if not console.is_terminal:
        # Logs and pipes get wide tables instead of rich's 80-column default.
        console = Console(highlight=False, width=160, **kwargs)
    return console


stdout = _console()
stderr = _console(stderr=True)


def error_line(message: str) -> None:
    """Print one line `elbo-suite: error: ...` on stderr (never a traceback)."""
    first = " ".join(str(message).split())
    stderr.print(f"elbo-suite: error: {first}", style="bold red", markup=False, soft_wrap=True)


class PlainProgress:
    """Progress as a few plain lines: the callback for pipes and CI logs.

    A line is written for the first update, when the work crosses the next of `milestones` equal
    fractions (the last one is the end), and when `heartbeat_seconds` have passed since the last
    line. A caller whose total changes (a new phase) starts a new set of milestones. Nothing is
    written before `delay_seconds`, so short work stays silent.
    """

    def __init__(self, label: str, write: Callable[[str], None], *, milestones: int = MILESTONES,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS, delay_seconds: float = 0.0,
                 clock: Callable[[], float] = time.monotonic):
        self.label, self.write, self.clock = label, write, clock
        self.milestones, self.heartbeat, self.delay = milestones, heartbeat_seconds, delay_seconds
        self.start = clock()
        self.last_line: float | None = None  # clock time of the last line written
        self.total: int | None = None
        self.next_milestone = 0  # index of the next fraction k / milestones that earns a line

    def __call__(self, description: str, completed: int, total: int) -> None:
        now = self.clock()
        if total != self.total:  # first call, or a new phase with its own count
            self.total, self.next_milestone = total, 0
        reached = self.milestones if total <= 0 else min(self.milestones, completed * self.milestones // total)
        crossed = reached >= self.next_milestone
        due = self.last_line is None or crossed or now - self.last_line >= self.heartbeat
        if not due or now - self.start < self.delay:
            return
        self.next_milestone = reached + 1
        self.last_line = now
        elapsed = int(now - self.start)
        self.write(f"[{self.label}] {completed}/{total} {description} ({elapsed // 60}:{elapsed % 60:02d})")


def _plain_lines(stream: TextIO) -> Callable[[str], None]:
    def write(line: str) -> None:
        print(line, file=stream, flush=True)

    return write


@contextmanager
def progress(label: str, *, delay_seconds: float = 0.0) -> Iterator[ProgressCallback]:
    """Yield a progress callback: a live bar on a terminal, a few plain lines elsewhere.

    `delay_seconds`: show nothing until the work has run this long (for commands that are
    usually quick, such as `verify` on a short document).
    """
    if not stderr.is_terminal:
        yield PlainProgress(label, _plain_lines(sys.stderr), delay_seconds=delay_seconds)
        return
    bar = Progress(
        TextColumn(f"[bold]{label}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )
    start = time.monotonic()
    task: list = []  # the one bar, created on the first update shown

    def update(description: str, completed: int, total: int) -> None:
        if not task:
            if time.monotonic() - start < delay_seconds:
                return
            bar.start()
            task.append(bar.add_task(description, total=total))
        bar.update(task[0], description=description, completed=completed, total=total)

    try:
        yield update
    finally:
        if task:
            bar.stop()
