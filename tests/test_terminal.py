"""``jejaring chat`` and ``jejaring start`` without a token: the same coaching in a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from cli.chat import chat, terminal_identity
from storage.db import Database
from storage.models import Participant
from tests.conftest import REPO
from tests.support import transaction

ONBOARDING = "1\n1\nSari Dewi\nBappeda Kabupaten Karawang\n1\n3\n"


def run_cli(
    args: list[str], stdin: str, workdir: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")
    }
    environment.update(PYTHONPATH=str(REPO), **env)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=workdir,
        env=environment,
        timeout=60,
    )


def test_start_without_a_token_opens_indonesian_onboarding_in_the_terminal(tmp_path: Path) -> None:
    result = run_cli(["start"], "", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Persetujuan penyimpanan data" in result.stdout
    assert "[1] ✅ Setuju" in result.stdout and "[3] 🇬🇧 English" in result.stdout
    assert (tmp_path / "jejaring.sqlite3").exists()  # SQLite in the working directory


def test_piped_input_walks_onboarding_to_the_menu(tmp_path: Path) -> None:
    result = run_cli(["chat", "--user", "sari"], ONBOARDING, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in [
        "Siapa nama Anda",
        "unit kerja",
        "zona waktu",
        "Pendaftaran selesai, Sari Dewi",
        "Menu utama",
        "░░░░░░░░░░ 0/25",
        "[1] ▶️ Lanjutkan yang berikutnya",
    ]:
        assert expected in out, expected
    assert "<b>" not in out  # HTML is turned into plain text


def test_a_killed_terminal_resumes_at_the_same_step(tmp_path: Path) -> None:
    first = run_cli(["chat", "--user", "budi"], "1\n1\nBudi Santoso\n", tmp_path)
    assert "unit kerja" in first.stdout.rsplit("›", 1)[-1]
    # The process is gone (whatever way it ended); the next run picks up at the unit question.
    second = run_cli(["chat", "--user", "budi"], "", tmp_path)
    assert second.stdout.strip().startswith("Senang berkenalan, Budi Santoso!")
    assert "Persetujuan" not in second.stdout  # nothing asked twice


async def test_chat_in_process_writes_the_same_database(sqlite_url: str) -> None:
    db = Database.connect(sqlite_url)
    out = io.StringIO()
    await chat(db, user="ani", stdin=io.StringIO(ONBOARDING), stdout=out)
    with transaction(db) as session:
        participant = (session.execute(select(Participant))).scalar_one()
    assert participant.external_id == terminal_identity("ani").external_id
    assert (participant.name, participant.reminder, participant.state) == (
        "Sari Dewi",
        "off",
        "menu.main",
    )
    assert "Menu utama" in out.getvalue()
    await db.dispose()
