"""After the demo's ``collections`` stage: every live case is scored and in a queue within
its capacity; ``ccard-score`` and ``allocate`` run again from the command line."""

from __future__ import annotations

import json
from collections import Counter

from typer.testing import CliRunner

from zhudai.collections.allocation import load_allocation
from zhudai.collections.case_book import CaseBook
from zhudai.collections.cli import app
from zhudai.loans.bcard import book_day
from zhudai.settings import Settings


def test_live_cases_are_scored_and_queued_within_capacity(home: Settings) -> None:
    config = load_allocation()
    live = CaseBook(home.database_url).live_cases()
    assert live and all(c.c_score is not None and c.assigned_to for c in live)
    capacity = {q: c for t in config.treatments.values() for q, c in t.queues.items()}
    for queue, load in Counter(c.assigned_to for c in live).items():
        assert queue in capacity and (capacity[queue] is None or load <= capacity[queue])


def test_score_and_allocate_again_from_the_command_line(home: Settings) -> None:
    when = book_day(home.database_url).isoformat()
    runner = CliRunner()
    scored = runner.invoke(app, ["ccard-score", "--day", when])
    assert scored.exit_code == 0, scored.output
    assert "live cases scored" in scored.output
    out = runner.invoke(app, ["allocate", "--day", when, "--strategy", "bucket"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    live = CaseBook(home.database_url).live_cases()
    assert report["cases"] == len(live) and sum(report["queues"].values()) == len(live)
    # the bucket strategy: M1 to the dialler, M2-M3 to agents, older to agencies
    config = load_allocation()
    for case in live:
        treatment = config.treatment_of_queue(case.assigned_to or "")
        want = (
            "auto_call"
            if case.bucket == "M1"
            else "agent"
            if case.bucket in ("M2", "M3")
            else "agency"
        )
        assert treatment in config.overflow[config.overflow.index(want) :]
    bad = runner.invoke(app, ["allocate", "--day", when, "--strategy", "best"])
    assert bad.exit_code != 0 and "strategy" in str(bad.exception or bad.output)
