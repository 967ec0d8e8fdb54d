"""Progress off a terminal: a few plain lines however many updates the work sends."""

from __future__ import annotations

import subprocess
import sys

from elbo_suite.console import PlainProgress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(updates, **options):
    lines, clock = [], Clock()
    progress = PlainProgress("job", lines.append, clock=clock, **options)
    for seconds, description, done, total in updates:
        clock.now = seconds
        progress(description, done, total)
    return lines


def test_hundreds_of_updates_give_the_start_each_quarter_and_the_end():
    updates = [(0.01 * i, f"step {i}", i, 240) for i in range(241)]
    lines = run(updates)
    assert [line.split()[1] for line in lines] == ["0/240", "60/240", "120/240", "180/240", "240/240"]
    assert lines[0] == "[job] 0/240 step 0 (0:00)"


def test_a_long_step_gets_a_heartbeat_line_and_no_more():
    updates = [(0, "a", 0, 3)] + [(s, "slow step", 0, 3) for s in range(1, 95)] + [(95, "done", 3, 3)]
    lines = run(updates, heartbeat_seconds=30)
    assert [line.split()[-1] for line in lines] == ["(0:00)", "(0:30)", "(1:00)", "(1:30)", "(1:35)"]


def test_a_new_phase_starts_its_own_milestones():
    updates = [(0, "parse", i, 10) for i in range(11)] + [(1, "judge", i, 100) for i in range(101)]
    lines = run(updates)
    assert len(lines) == 10
    assert lines[5].startswith("[job] 0/100 judge")


def test_quick_work_under_the_delay_prints_nothing():
    assert run([(0.1 * i, "row", i, 20) for i in range(21)], delay_seconds=5) == []
    late = run([(0, "row", 0, 20), (6, "row", 10, 20), (7, "row", 20, 20)], delay_seconds=5)
    assert late == ["[job] 10/20 row (0:06)", "[job] 20/20 row (0:07)"]


def test_the_command_line_prints_a_few_lines_on_a_pipe():
    code = (
        "from elbo_suite.console import progress\n"
        "with progress('demo') as update:\n"
        "    for i in range(500):\n"
        "        update(f'item {i}', i, 500)\n"
        "    update('done', 500, 500)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = proc.stderr.splitlines()
    assert 2 <= len(lines) <= 6, proc.stderr
    assert lines[-1].startswith("[demo] 500/500 done")
