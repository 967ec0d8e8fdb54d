"""Run the command line in-process and capture what it prints."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from elbo_suite.cli import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    def run(*argv: str) -> Outcome:
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's own exits (--help) come this way
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got:\n{err}"
    assert lines[0].startswith("elbo-suite: error:"), lines[0]
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def one_error_line():
    """Assert stderr is exactly one `elbo-suite: error:` line, no traceback; return it."""
    return _one_error_line
