"""``jejaring analyze``: JSON per the contract, the bot's text, exit code 2 on a bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.analyze import main

from .helpers import KITE_CSV
from .test_kite import KITE_JSON


def test_json_matches_the_contract_on_the_kite(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(KITE_CSV), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == KITE_JSON
    assert out.count("\n") == 1  # one object, one line


def test_text_is_the_bots_reply_in_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(KITE_CSV), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Network map analysis" in out and "<b>" not in out and "&amp;" not in out
    assert main([str(KITE_CSV)]) == 0
    assert "Analisis peta jejaring" in capsys.readouterr().out


def test_ego(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "peta.csv"
    path.write_text("source,target\nSaya,A\nSaya,B\nSaya,C\n", encoding="utf-8")
    assert main([str(path), "--ego", "saya", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ego"] == "Saya"
    assert data["stage"]["key"] == "hub_and_spoke"
    assert data["without_ego"]["stage"]["key"] == "scattered_fragments"
    assert list(data["without_ego"])[:3] == ["components", "clusters", "stage"]


def test_bad_csv_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"nama,teman\nA,B\n")
    assert main([str(path), "--lang", "en"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "source" in captured.err and "target" in captured.err


def test_missing_file_and_unknown_ego(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["/no/such/file.csv"]) == 2
    assert "/no/such/file.csv" in capsys.readouterr().err
    assert main([str(KITE_CSV), "--ego", "Z", "--lang", "en"]) == 2
    assert "Z" in capsys.readouterr().err


def test_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(KITE_CSV), "--lang", "fr"]) == 2
    assert main([]) == 2
    capsys.readouterr()
