"""`survey-app import`: paper returns, all or nothing, only into waves opened with --allow-import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select

from questionnaires import load_instrument
from survey_app.cli import main
from survey_app.config import Settings
from survey_app.importer import ImportError_, import_csv
from survey_app.inbox import inbox_count, submit_response
from survey_app.storage.database import engine_for
from survey_app.storage.models import AuditEvent, ImportedFile
from survey_app.waves import close_wave, find_published_wave, find_wave
from tests.survey_app.helpers import inbox_documents


# Any secret will do for the fingerprint of imported files; the CLI uses the case key.
CASE = b"the case secret of these import tests"


def cli(*args: str, expect_exit: int = 0) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == expect_exit, result.output
    return result


def open_wave_cli(instrument: str, slug: str, allow_import: bool = True) -> None:
    cli("org", "add", "--headcount", "1000", "--name", f"Trust for {slug}", "--slug", f"org-{slug}")
    flags = ["--allow-import"] if allow_import else []
    cli("wave", "open", "--instrument", instrument, "--org", f"org-{slug}", "--slug", slug, *flags)


def write_csv(folder: Path, lines: list[str], name: str = "returns.csv", bom: bool = False) -> Path:
    path = folder / name
    path.write_text(("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def waiting(engine: Engine, slug: str) -> int:
    with engine.connect() as connection:
        found = find_wave(connection, slug)
        assert found is not None
        return inbox_count(connection, found.id)


def inbox_answers(engine: Engine, settings: Settings, slug: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        found = find_wave(connection, slug)
        assert found is not None
    return [document["answers"] for document in inbox_documents(settings, found.id)]


def import_events(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent).where(AuditEvent.action == "import")).all()
    return [{"actor": row.actor, **json.loads(row.detail)} for row in rows]


@pytest.fixture
def engine(settings: Settings, cli_env: dict[str, str]) -> Engine:
    return engine_for(settings.database_url)


@pytest.fixture
def paper_wave(engine: Engine) -> str:
    open_wave_cli("nhs-staff-survey", "paper-2026")
    return "paper-2026"


def test_a_good_file_adds_exactly_its_rows(
    engine: Engine, settings: Settings, paper_wave: str, tmp_path: Path
) -> None:
    with engine.begin() as connection:  # a web response already waiting
        published = find_published_wave(connection, paper_wave)
        assert published is not None
        submit_response(connection, published, {"q14a": 3})
    path = write_csv(
        tmp_path,
        [
            "q14a, q14b ,q16a,Q16B,q16c,q28,q35",
            " 01 ,2,1,2,1; 6,15,26",  # spaces, a leading zero, two codes in a multiple-choice cell
            "1,,2,2,,1,",
            ",,,,,,",  # a blank row, as spreadsheets leave them
            "3,1,2,1,6;,9,34",
            "",
        ],
        bom=True,
    )

    result = cli("import", "--wave", paper_wave, str(path), "--format", "json")

    report = json.loads(result.stdout)
    assert report == {"wave": paper_wave, "file": "returns.csv", "rows_read": 5, "rows_imported": 3, "blank_rows_skipped": 2}
    assert waiting(engine, paper_wave) == 4
    stored = sorted(inbox_answers(engine, settings, paper_wave), key=lambda a: json.dumps(a, sort_keys=True))
    assert {"q14a": 1, "q14b": 2, "q16a": 1, "q16b": 2, "q16c": [1, 6], "q28": 15, "q35": 26} in stored
    assert {"q14a": 1, "q16a": 2, "q16b": 2, "q28": 1} in stored
    assert {"q14a": 3, "q14b": 1, "q16a": 2, "q16b": 1, "q16c": [6], "q28": 9, "q35": 34} in stored
    assert "already imported" in cli("import", "--wave", paper_wave, str(path), expect_exit=1).output
    assert "stored 3 responses" in cli("import", "--wave", paper_wave, str(path), "--again").stdout


def test_multiple_choice_codes_are_separated_by_semicolons(
    engine: Engine, settings: Settings, paper_wave: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, ["q16a,q16c", "1,1;6;10", '1,"2 ; 8"'])

    report = import_csv(engine, paper_wave, path, CASE)

    assert report.rows_imported == 2
    assert sorted(a["q16c"] for a in inbox_answers(engine, settings, paper_wave)) == [[1, 6, 10], [2, 8]]


def test_a_wave_without_allow_import_refuses_the_file(engine: Engine, tmp_path: Path) -> None:
    open_wave_cli("nhs-staff-survey", "web-only", allow_import=False)
    path = write_csv(tmp_path, ["q14a", "1", "2"])

    result = cli("import", "--wave", "web-only", str(path), expect_exit=1)

    assert "--allow-import" in result.output
    with pytest.raises(ImportError_, match="--allow-import"):
        import_csv(engine, "web-only", path, CASE)
    assert waiting(engine, "web-only") == 0
    assert import_events(engine) == []


def test_closed_and_unknown_waves_refuse_the_file(engine: Engine, paper_wave: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["q14a", "1"])
    with pytest.raises(ImportError_, match="no wave"):
        import_csv(engine, "no-such-wave", path, CASE)
    with engine.begin() as connection:
        close_wave(connection, paper_wave)

    with pytest.raises(ImportError_, match="closed"):
        import_csv(engine, paper_wave, path, CASE)
    assert waiting(engine, paper_wave) == 0


def test_one_bad_row_in_the_middle_stores_nothing_and_names_its_line(
    engine: Engine, paper_wave: str, tmp_path: Path
) -> None:
    lines = ["q14a,q16a,q16c"] + ["2,2,"] * 5 + ["7,2,"] + ["1,1,6"] * 5
    path = write_csv(tmp_path, lines)

    result = cli("import", "--wave", paper_wave, str(path), expect_exit=1)

    assert "line 7, q14a: 7 is not an option here" in result.output
    assert "nothing was imported" in result.output
    with pytest.raises(ImportError_) as refused:
        import_csv(engine, paper_wave, path, CASE)
    assert [(p.line, p.question) for p in refused.value.problems] == [(7, "q14a")]
    assert waiting(engine, paper_wave) == 0
    assert import_events(engine) == []


@pytest.mark.parametrize(
    ("lines", "line", "question", "says"),
    [
        (["q14a,q99", "1,"], 1, "q99", "not a question"),
        (["q14a,q14a", "1,1"], 1, "q14a", "appears twice"),
        (["q14a,,q15", "1,4,1"], 1, None, "column 2 has values but no question id"),
        (["q14a", "1", "two"], 3, "q14a", "'two' is not an option code"),
        (["q14a", "1", "1;2"], 3, "q14a", "one code only"),
        (["q14a", "1.0"], 2, "q14a", "not an option code"),
        (["q16a,q16c", "1,1;x"], 2, "q16c", "'x' is not an option code"),
        (["q16a,q16c", "1,1;99"], 2, "q16c", "99 is not an option"),
        (["q16a,q16c", "1,6;6"], 2, "q16c", "chosen twice"),
        (["q16a,q16b,q16c", "2,2,6"], 2, "q16c", "only asked when"),
        (["q14a", "1,2"], 2, None, "beyond the last"),
    ],
)
def test_each_kind_of_bad_cell_is_named(
    engine: Engine, paper_wave: str, tmp_path: Path, lines: list[str], line: int, question: str | None, says: str
) -> None:
    path = write_csv(tmp_path, lines)

    with pytest.raises(ImportError_) as refused:
        import_csv(engine, paper_wave, path, CASE)

    problems = [(p.line, p.question) for p in refused.value.problems]
    assert (line, question) in problems
    assert says in str(refused.value)
    assert waiting(engine, paper_wave) == 0


def test_testimonies_check_required_answers_and_lengths(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    open_wave_cli("lived-experience", "voices-paper")
    limit = load_instrument("lived-experience").question("what_happened").max_length
    header = "what_happened,topics,consent_quote,consent_share,urgent"
    bad = write_csv(
        tmp_path,
        [
            header,
            '"I was overlooked, again; and again.",1;2,1,2,',
            "Something happened,,,2,",  # consent_quote is required
            f"{'x' * (limit + 1)},,2,2,",
            "Another thing,,2,2,1",  # urgent is asked only when shared with the guardian
        ],
        name="bad.csv",
    )
    with pytest.raises(ImportError_) as refused:
        import_csv(engine, "voices-paper", bad, CASE)
    problems = {(p.line, p.question): p.reason for p in refused.value.problems}
    assert set(problems) == {(3, "consent_quote"), (4, "what_happened"), (5, "urgent")}
    assert "required" in problems[(3, "consent_quote")]
    assert "characters" in problems[(4, "what_happened")]

    good = write_csv(tmp_path, [header, '"I was overlooked, again; and again.",1;2,1,1,2'], name="good.csv")
    assert import_csv(engine, "voices-paper", good, CASE).rows_imported == 1
    [stored] = inbox_answers(engine, settings, "voices-paper")
    assert stored["what_happened"] == "I was overlooked, again; and again."
    assert stored["topics"] == [1, 2]


def test_empty_files_are_refused(engine: Engine, paper_wave: str, tmp_path: Path) -> None:
    with pytest.raises(ImportError_, match="empty"):
        import_csv(engine, paper_wave, write_csv(tmp_path, [], name="empty.csv"), CASE)
    with pytest.raises(ImportError_, match="no responses"):
        import_csv(engine, paper_wave, write_csv(tmp_path, ["q14a,q15", ",", ""], name="header.csv"), CASE)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("what_happened\nCaf\xe9\n".encode("latin-1"))
    with pytest.raises(ImportError_, match="UTF-8"):
        import_csv(engine, paper_wave, latin1, CASE)
    assert waiting(engine, paper_wave) == 0


def test_import_is_in_the_audit_log_without_the_file_contents(
    engine: Engine, paper_wave: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, ["q14a,q28", "4,16", "1,1"], name="ward-returns.csv")

    cli("import", "--wave", paper_wave, str(path))

    assert import_events(engine) == [{"actor": "cli", "wave": paper_wave, "rows": 2, "file": "ward-returns.csv"}]
    with engine.connect() as connection:
        detail = connection.execute(select(AuditEvent.detail).where(AuditEvent.action == "import")).scalar_one()
    assert "16" not in detail


def test_a_stray_carriage_return_inside_a_row_never_makes_two_responses(
    engine: Engine, paper_wave: str, tmp_path: Path
) -> None:
    """A CRLF file of 100 rows where one row holds a lone CR: before, "imported 101 responses"."""
    rows = [f"{1 + i % 5},{1 + i % 2}" for i in range(100)]
    rows[41] = "2,\r2"
    path = write_csv(tmp_path, ["q14a,q15", *rows], name="stray.csv")
    with pytest.raises(ImportError_) as refused:
        import_csv(engine, paper_wave, path, CASE)
    assert "line(s) 43" in str(refused.value) and "nothing was imported" in str(refused.value)
    assert waiting(engine, paper_wave) == 0
    rows[41] = "2,2"
    fixed = write_csv(tmp_path, ["q14a,q15", *rows], name="fixed.csv")
    assert import_csv(engine, paper_wave, fixed, CASE).rows_imported == 100
    assert waiting(engine, paper_wave) == 100


def test_the_same_file_twice_is_refused_unless_again(engine: Engine, paper_wave: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["q14a,q15", "1,2", "2,1"])
    report = import_csv(engine, paper_wave, path, CASE)
    assert (report.rows_read, report.rows_imported, report.blank_rows_skipped) == (2, 2, 0)
    with pytest.raises(ImportError_) as refused:
        import_csv(engine, paper_wave, path, CASE)
    assert "already imported" in str(refused.value) and "--again" in str(refused.value)
    assert waiting(engine, paper_wave) == 2
    assert import_csv(engine, paper_wave, path, CASE, again=True).rows_imported == 2
    assert waiting(engine, paper_wave) == 4
    # What the wave keeps is a keyed hash: not the file name, not its content.
    with engine.connect() as connection:
        kept = connection.execute(select(ImportedFile.fingerprint)).scalars().all()
    assert len(kept) == 1 and path.read_bytes() not in bytes(kept[0]) and len(bytes(kept[0])) == 32


def test_bidirectional_controls_never_reach_a_stored_testimony(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    open_wave_cli("lived-experience", "voices-bidi")
    lines = ["what_happened,consent_quote,consent_share", "My manager \u202eyas ton did\u202c it,1,2", '"Two lines\r\nin one cell",2,2']
    path = write_csv(tmp_path, lines, name="bidi.csv")
    assert import_csv(engine, "voices-bidi", path, CASE).rows_imported == 2, "a quoted line break is not a new row"
    stored = {answers["what_happened"] for answers in inbox_answers(engine, settings, "voices-bidi")}
    assert stored == {"My manager yas ton did it", "Two lines\r\nin one cell"}
