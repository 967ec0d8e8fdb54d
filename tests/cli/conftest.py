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
