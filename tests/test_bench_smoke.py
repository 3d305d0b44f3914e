"""The fault bench's poison and wedge cases and the starvation bench still walk the bot.

They script a participant's conversation over HTTP; when the conversation changes (the name
now answered in two messages, the first map command applied at once) a bench can no longer
finish and its figures are missing. These runs are tiny: they check the scripts, not the
figures (``make bench`` measures those)."""

from __future__ import annotations

import argparse

import pytest

from bench import faults, starvation

pytestmark = pytest.mark.e2e


async def test_the_poison_and_wedge_cases_finish_with_everyone_answered() -> None:
    phase = await faults.run_poison_phase("sqlite", "webhook", poisoned=1, others=2, seed=3)
    assert faults.poison_ok([phase]), phase
    assert phase["other_chats_completed"] == 2 and phase["webhook_500s"] == 0, phase


async def test_the_starvation_bench_imports_and_loads_the_dashboard() -> None:
    options = argparse.Namespace(others=2, rows=40, actors=30, pages=1, quiet=0.5)
    result = await starvation.run(options)
    assert "worker_died" not in result, result
    assert result["stress"]["lost"] == 0 and result["stress"]["errors"] == 0, result
    assert result["import"]["rows"] == 40 and len(result["dashboard"]["seconds"]) == 1, result


def test_the_ptb_baseline_walks_the_same_dialog_as_our_bot() -> None:
    # The baseline presses the buttons our bot shows; if it copied an edit instead of the
    # new message (as it once did), the throughput bench's baseline had nothing to press.
    from bench.baseline_bot import our_texts

    consent, language, name = our_texts()
    assert "agree" in [value for value, _ in consent[1]], consent
    assert "lang:id" in [value for value, _ in language[1]], language
    assert name[1] == [] and name[0], name
