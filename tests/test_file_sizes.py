"""No code or template of ours grows past 500 lines: a longer one is split where its seams are
(issue 16). A table generated from other data is the one exception, and its first lines say so.

The documents are not counted: ARCHITECTURE.md holds the layers, the flows, the state diagram
and the path of an update in one place; the figures measured round by round live beside the
benches (bench/SPEEDUPS.md, bench/FIGURES.md).
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO

LIMIT = 500
ROOMS = ("app", "bench", "bot", "cli", "coaching", "service", "storage", "templates", "tests")
ROOMS += ("tools", "web")
KINDS = {".py", ".j2", ".html", ".js", ".css", ".toml", ".sql", ".ini", ".cfg", ".sh"}
TOP = ("pyproject.toml", "Makefile", ".ci/run")


def ours() -> list[Path]:
    files = [REPO / name for name in TOP if (REPO / name).exists()]
    for room in ROOMS:
        files += (
            path
            for path in (REPO / room).rglob("*")
            if path.is_file() and path.suffix in KINDS and "__pycache__" not in path.parts
        )
    return sorted(files)


def generated(path: Path) -> bool:
    with path.open(encoding="utf-8") as lines:
        return any("Generated data" in next(lines, "") for _ in range(3))


def test_no_file_is_longer_than_500_lines_unless_it_is_generated_data() -> None:
    files = ours()
    assert len(files) > 100  # the walk found the tree
    long = {
        str(path.relative_to(REPO)): n
        for path in files
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT and not generated(path)
    }
    assert long == {}


def test_the_generated_exception_is_only_taken_by_generated_data() -> None:
    assert [p.relative_to(REPO).as_posix() for p in ours() if generated(p)] == [
        "coaching/_font_widths.py"
    ]
