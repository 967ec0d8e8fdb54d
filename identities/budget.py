"""Row budgets: every row of a document is judged within a time and a memory budget.

The time budget counts CPU seconds, not wall-clock ones, so a verdict does not depend on how busy
the machine is: a profiling timer (SIGPROF) stops a row that has computed for its budget, between
two Python bytecodes, which SymPy's pure-Python loops honour; semantics/limits.py keeps the
C-level big-integer work that no signal interrupts from starting. The row is then ``unverified``
with category "timed out" and the next row is judged.

The rows run in a worker process (a fork of this one, so nothing is imported or pickled twice).
The worker says when it starts a row and sends the verdict when it is done. The parent is the
backstop: a row still running after ``backstop_seconds`` of wall-clock time (stuck in C code), or
whose worker dies (out of memory, a crash in a C library), is recorded as ``unverified``; the
parent kills the worker and starts a new one that replays the document up to that row and goes
on after it, so one row fails alone and the others are judged as before. The worker's address
space is capped at what it already uses plus the memory budget, so a row that would grow past it
fails instead of the machine.

Where ``fork`` is unavailable (or ``isolate`` is off), rows run in this process under the same
profiling timer, without the backstop.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import select
import signal
import struct
import threading
import time
from dataclasses import dataclass
from typing import Callable

from elbo_suite.identities.errors import DocumentError
from elbo_suite.identities.verdict import DocumentVerification, RowVerdict

ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Budget:
    """What one row may use."""

    seconds: float = 4.0  # CPU time one row may compute
    memory_mb: int = 2048  # address space the worker may add to what it already uses
    isolate: bool = True  # judge the rows in a worker process (when fork is available)

    @property
    def backstop_seconds(self) -> float:
        """Wall-clock time after which the parent kills a row's worker: generous, so that only
        a row stuck where the CPU timer cannot reach is stopped this way, even on a busy machine."""
        return 5 * self.seconds + 30

    def __post_init__(self):
        if not (self.seconds > 0):
            raise ValueError(f"row time budget must be positive seconds, got {self.seconds!r}")
        if not (self.memory_mb >= 64):
            raise ValueError(f"row memory budget must be at least 64 MB, got {self.memory_mb!r}")


DEFAULT = Budget()


class RowTimeout(Exception):
    """Raised by the CPU timer when a row has computed for its whole budget."""


def timed_out(row: RowVerdict | dict, budget: Budget, what: str) -> RowVerdict:
    """The verdict of a row stopped by its budget (``what`` says which budget and how)."""
    base = row if isinstance(row, dict) else row.__dict__
    keep = {k: base[k] for k in ("number", "block", "row", "latex", "tex", "line", "label")}
    return RowVerdict(relation="", verdict="unverified", evidence=what, details=what,
                      category="timed out" if "budget" in what else "undecided", **keep)


# -- the parent's side ---------------------------------------------------------------------------
def run(verifier_factory, text: str, source: str, budget: Budget = DEFAULT,
        progress: ProgressCallback | None = None) -> DocumentVerification:
    """Verify a document row by row under the budget. ``verifier_factory()`` gives a fresh
    verifier whose ``run(text, source, on_row=..., skip=...)`` judges the rows in order."""
    if not (budget.isolate and hasattr(os, "fork")):
        return _in_process(verifier_factory, text, source, budget, progress)
    done: dict[int, RowVerdict] = {}
    skip: dict[int, str] = {}
    header: dict = {}
    total = [0]
    while True:
        finished = _one_worker(verifier_factory, text, source, budget, done, skip, header, total, progress)
        if finished:
            break
    doc = DocumentVerification(header.get("source", source))
    doc.rows = [done[k] for k in sorted(done)]
    for key, value in header.items():
        if key not in {"source", "rows"} and hasattr(doc, key):
            setattr(doc, key, value)
    return doc


def _one_worker(factory, text, source, budget, done, skip, header, total, progress) -> bool:
    """Run one worker until the document ends (True) or a row overruns or kills it (False)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        os.close(read_fd)
        _worker(factory, text, source, budget, write_fd, dict(skip))
    os.close(write_fd)
    reader = _Messages(read_fd)
    current: int | None = None
    started = time.monotonic()
    try:
        while True:
            timeout = None
            if current is not None and current not in done:
                timeout = max(0.0, budget.backstop_seconds - (time.monotonic() - started))
            message = reader.next(timeout)
            if message is _TIMEOUT:
                seconds = time.monotonic() - started
                what = (f"timed out: stopped after {seconds:.0f} s of wall-clock time without an answer "
                        f"(the row budget is {budget.seconds:g} CPU s; raise it with --row-seconds)")
                done[current] = timed_out(header["rows"][current], budget, what)
                skip[current] = what
                _report(progress, done, total)
                _kill(pid)
                return False
            if message is _EOF:
                status = _reap(pid)
                if current is not None and current not in done:
                    what = _death(status, budget)
                    done[current] = timed_out(header["rows"][current], budget, what)
                    skip[current] = what
                    _report(progress, done, total)
                    return False
                if "error" in header:
                    raise header.pop("error")
                return True
            kind = message[0]
            if kind == "header":
                header.update(message[1])
                total[0] = len(header["rows"])
                if progress is not None and not done:
                    progress("rows", 0, total[0])
            elif kind == "start":
                current = message[1]
                started = time.monotonic()
            elif kind == "row":
                k, verdict = message[1], message[2]
                if k not in done:
                    done[k] = verdict
                    _report(progress, done, total)
            elif kind == "error":
                exc = message[1]
                if current is None or current in done or isinstance(exc, DocumentError):
                    header["error"] = exc  # the document's own fault: re-raised, a clear error
                    continue
                # raised while a row ran, outside the row's own guard: that row fails alone
                if isinstance(exc, MemoryError):
                    what = f"timed out: over the row memory budget of {budget.memory_mb} MB"
                else:
                    what = f"could not judge this row ({type(exc).__name__}: {exc})"
                done[current] = timed_out(header["rows"][current], budget, what)
                skip[current] = what
                _report(progress, done, total)
                _kill(pid)
                return False
    finally:
        os.close(read_fd)


def _report(progress, done, total) -> None:
    if progress is not None:
        progress("rows", len(done), total[0])


def _death(status: int, budget: Budget) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig in (signal.SIGKILL, signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
            return (f"timed out: the evaluation stopped abnormally ({name}), most likely over the row "
                    f"memory budget of {budget.memory_mb} MB")
        return f"the evaluation stopped abnormally ({name})"
    return f"the evaluation stopped abnormally (exit status {os.WEXITSTATUS(status)})"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid: int) -> int:
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


# -- messages: length-prefixed pickles over a pipe -------------------------------------------------
_TIMEOUT, _EOF = object(), object()


class _Messages:
    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = b""

    def next(self, timeout: float | None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if len(self.buffer) >= 8:
                (size,) = struct.unpack("!Q", self.buffer[:8])
                if len(self.buffer) >= 8 + size:
                    payload, self.buffer = self.buffer[8:8 + size], self.buffer[8 + size:]
                    return pickle.loads(payload)
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], wait)
            if not ready:
                return _TIMEOUT
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return _EOF
            self.buffer += chunk


def _send(fd: int, message) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    data = struct.pack("!Q", len(payload)) + payload
    while data:
        written = os.write(fd, data)
        data = data[written:]


# -- the worker's side -----------------------------------------------------------------------------
def _worker(factory, text, source, budget, fd, skip) -> None:
    """Judge the document, sending each row's start and verdict; never returns."""
    code = 0
    # A crash in C code is reported as the row's verdict by the parent; the interpreter's own
    # dump of it (pytest and python -X faulthandler turn it on) would only repeat it on stderr.
    faulthandler.disable()
    try:
        _cap_memory(budget.memory_mb)
        verifier = factory()
        timer = _CpuTimer(budget)

        def on_header(info: dict) -> None:
            _send(fd, ("header", info))

        def on_start(k: int) -> None:
            _send(fd, ("start", k))
            timer.arm()

        def on_row(k: int, verdict: RowVerdict) -> None:
            timer.disarm()
            _send(fd, ("row", k, verdict))

        with timer:
            verifier.run(text, source, on_header=on_header, on_start=on_start, on_row=on_row, skip=skip)
    except BaseException as exc:  # the parent re-raises it; a DocumentError stays a clear error
        try:
            _send(fd, ("error", exc))
        except Exception:
            code = 3
    finally:
        try:
            os.close(fd)
        finally:
            os._exit(code)


def _cap_memory(extra_mb: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: the time budget still applies
        return
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[0])
        used = pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return
    limit = used + extra_mb * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


# -- without a worker --------------------------------------------------------------------------------
class _CpuTimer:
    """Raise RowTimeout in this thread once the current row has used its CPU budget."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self.usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        self.previous = None

    def __enter__(self):
        if self.usable:
            self.previous = signal.signal(signal.SIGPROF, self._expired)
        return self

    def __exit__(self, *exc):
        if self.usable:
            self.disarm()
            signal.signal(signal.SIGPROF, self.previous)
        return False

    def arm(self) -> None:
        if self.usable:
            signal.setitimer(signal.ITIMER_PROF, self.budget.seconds)

    def disarm(self) -> None:
        if self.usable:
            signal.setitimer(signal.ITIMER_PROF, 0)

    def _expired(self, signum, frame):
        self.disarm()
        raise RowTimeout(f"timed out: stopped after {self.budget.seconds:g} CPU s, the row budget "
                         "(raise it with --row-seconds)")


def _in_process(factory, text, source, budget, progress) -> DocumentVerification:
    verifier = factory()
    total = [0]
    rows: dict[int, RowVerdict] = {}
    timer = _CpuTimer(budget)

    def on_header(info: dict) -> None:
        total[0] = len(info["rows"])
        if progress is not None:
            progress("rows", 0, total[0])

    def on_start(k: int) -> None:
        timer.arm()

    def on_row(k: int, verdict: RowVerdict) -> None:
        timer.disarm()
        rows[k] = verdict
        if progress is not None:
            progress("rows", len(rows), total[0])

    with timer:
        return verifier.run(text, source, on_header=on_header, on_start=on_start, on_row=on_row)


__all__ = ["Budget", "DEFAULT", "RowTimeout", "run", "timed_out"]
