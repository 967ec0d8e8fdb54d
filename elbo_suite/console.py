"""Terminal output shared by the commands: tables, progress and one-line errors.

Colour and live progress bars only on a terminal; on a pipe or in CI the same information is
printed as plain lines, so logs stay readable.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# A progress callback receives (description, completed, total); every long-running function of
# the suite accepts one so the command line can show where it is.
ProgressCallback = Callable[[str, int, int], None]

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


@contextmanager
def progress(label: str) -> Iterator[ProgressCallback]:
    """Yield a progress callback: a live bar on a terminal, plain lines elsewhere."""
    if stderr.is_terminal:
        bar = Progress(
            TextColumn(f"[bold]{label}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
        )
        tasks: dict[str, int] = {}
        with bar:

            def update(description: str, completed: int, total: int) -> None:
                # One bar per label; the description names the step in progress.
                task = tasks.get(label)
                if task is None:
                    tasks[label] = task = bar.add_task(description, total=total)
                bar.update(task, description=description, completed=completed, total=total)

            yield update
    else:

        def update(description: str, completed: int, total: int) -> None:
            print(f"[{label}] {completed}/{total} {description}", file=sys.stderr, flush=True)

        yield update
