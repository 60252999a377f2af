"""The release job end to end: what reaches the published tables, across releases, and retirement."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

from questionnaires import load_instrument
from survey_app.cli import main
from survey_app.config import Settings
from survey_app.inbox import submit_response
from survey_app.keys import WaveKeyStore
from survey_app.mixer import part_context
from survey_app.sealing import open_with_key
from survey_app.storage.database import engine_for
from survey_app.storage.models import PublishedCell, PublishedMicrodata, Release, Wave
from survey_app.waves import find_published_wave, find_wave
from tests.survey_app.helpers import count_rows, open_test_wave, random_answers


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def submit(settings: Settings, slug: str, responses: list[dict]) -> None:
    with engine_for(settings.database_url).begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        for answers in responses:
            assert submit_response(connection, wave, answers)


def bank_responses(count: int, seed: int) -> list[dict]:
    instrument = load_instrument("bank-temporary-workers").with_organisations([])
    rng = random.Random(seed)
    return [random_answers(instrument, rng) for _ in range(count)]


def published(settings: Settings, number: int) -> dict[tuple[str, str, str], tuple]:
    with engine_for(settings.database_url).connect() as connection:
        rows = connection.execute(
            select(PublishedCell).join(Release, Release.id == PublishedCell.release_id).where(Release.number == number)
        )
        return {(r.table_name, r.group_label, r.measure): (r.base, r.counts, r.withheld) for r in rows}


def test_a_release_shows_no_cell_under_min_cell_and_stores_nothing_of_withheld_ones(
    settings: Settings, cli_env: dict
) -> None:
    slug = open_test_wave(settings, "bank-temporary-workers", "bank")
    submit(settings, slug, bank_responses(150, 1))
    assert run("mix")[0] == 0
    code, output = run("release", "--wave", slug, "--format", "json")
    assert code == 0, output
    (report,) = json.loads(output)
    assert report["responses"] == 150
    assert report["cells_withheld_primary"] > 0 and report["cells_withheld_complementary"] > 0
    cells = published(settings, 1)
    assert {table for table, _, _ in cells} >= {
        "total", "ethnic_category", "ethnic_heading", "bme_white", "worker_type", "occupation_heading",
        "ethnic_heading_x_worker_type",
    }
    assert {measure for _, _, measure in cells} >= {"wres5", "wres6", "wres7", "wres8", "q14a", "q16c"}
    questions = load_instrument("bank-temporary-workers").questions
    for key, (base, counts, withheld) in cells.items():
        if withheld:
            assert base is None and counts is None, key
            continue
        assert base >= 11, key
        chosen = sum(json.loads(counts))
        multiple = key[2] in questions and questions[key[2]].type == "multiple"
        assert chosen >= base if multiple else chosen == base, key


def test_a_second_release_with_one_newcomer_changes_no_published_figure(settings: Settings, cli_env: dict) -> None:
    slug = open_test_wave(settings, "bank-temporary-workers", "bank")
    submit(settings, slug, bank_responses(200, 2))
    run("mix")
    run("release", "--wave", slug)
    before = published(settings, 1)
    # One newcomer, mixed with a batch of ten others who answered nothing identifying... but the
    # mixer needs a full batch, so the newcomer arrives with ten blank-background responses.
    newcomer = bank_responses(1, 99)
    blanks = [{"q14a": 1} for _ in range(10)]
    submit(settings, slug, newcomer + blanks)
    run("mix")
    code, output = run("release", "--wave", slug, "--format", "json")
    assert code == 0, output
    after = published(settings, 2)
    assert after.keys() == before.keys()
    changed = [key for key in before if before[key][2] is None and after[key][2] is None and before[key] != after[key]]
    revealed = [key for key in before if before[key][2] is not None and after[key][2] is None]
    assert revealed == [], "a cell withheld before is shown now without having grown by 11"
    # Only cells that gained at least 11 respondents may move (here: q14a, which all 11 answered).
    for key in changed:
        assert after[key][0] - before[key][0] >= 11, key


def test_microdata_is_k_anonymous_and_l_diverse_by_an_independent_count(settings: Settings, cli_env: dict) -> None:
    slug = open_test_wave(settings, "nhs-staff-survey", "staff")
    instrument = load_instrument("nhs-staff-survey")
    rng = random.Random(4)
    submit(settings, slug, [random_answers(instrument, rng) for _ in range(400)])
    run("mix")
    code, output = run("release", "--wave", slug, "--format", "json")
    (report,) = json.loads(output)
    assert report["microdata"]["published"], report
    with engine_for(settings.database_url).connect() as connection:
        microdata = connection.execute(select(PublishedMicrodata)).one()
    columns, rows = json.loads(microdata.columns), json.loads(microdata.rows)
    quasi = [i for i, c in enumerate(columns) if c in {"q27c", "q28", "q34a", "q35"}]
    classes = Counter(tuple(row[i] for i in quasi) for row in rows)
    assert min(classes.values()) >= 11
    assert report["microdata"]["records_suppressed"] <= 0.02 * 400
    for sensitive, codes in (("q16b", {1}), ("q14b", {2, 3, 4, 5}), ("q14c", {2, 3, 4, 5})):
        s = columns.index(sensitive)
        members: dict[tuple, list] = {}
        for row in rows:
            members.setdefault(tuple(row[i] for i in quasi), []).append(row[s] in codes)
        assert not any(all(flags) for flags in members.values()), sensitive
    # The raw ethnicity code never appears if the release generalised it.
    if report["microdata"]["level_numbers"]["ethnicity"] > 0:
        assert not any(isinstance(row[columns.index("q28")], int) for row in rows)


def test_testimonies_are_released_in_shuffled_batches_with_k_anonymous_attributes(
    settings: Settings, cli_env: dict
) -> None:
    slug = open_test_wave(settings, "lived-experience", "voices")
    responses = []
    for i in range(30):
        answers = {"what_happened": f"marker {i}", "consent_quote": 1, "consent_share": 2, "ethnic_heading": 1}
        if i == 7:
            answers["ethnic_heading"] = 4  # the only one of their group: must not be shown with it
        responses.append(answers)
    submit(settings, slug, responses)
    run("mix")
    code, output = run("release", "--wave", slug, "--format", "json")
    (report,) = json.loads(output)
    assert (report["testimonies_released"], report["testimony_batches"]) == (30, 2)
    engine = engine_for(settings.database_url)
    with engine.connect() as connection:
        wave = find_wave(connection, slug)
        assert wave is not None
        sealed = connection.execute(text("SELECT sealed FROM testimony_batch")).scalars().all()
    keys = WaveKeyStore(settings.key_file).load(wave.id)
    batches = [json.loads(open_with_key(keys.data_key, bytes(s), part_context("testimony_batch", wave.id))) for s in sealed]
    assert sorted(len(b) for b in batches) == [15, 15]
    markers = [int(t["texts"]["what_happened"].split()[1]) for b in batches for t in b]
    assert sorted(markers) == list(range(30))
    assert markers != sorted(markers), "batches keep arrival order"
    for batch in batches:
        combos = Counter(t["attributes"].get("ethnic_heading") for t in batch if "ethnic_heading" in t["attributes"])
        assert min(combos.values()) >= 11
    lonely = next(t for b in batches for t in b if t["texts"]["what_happened"] == "marker 7")
    assert "ethnic_heading" not in lonely["attributes"]
    assert count_rows(engine, "testimony_part") == 0


def test_retirement_destroys_the_keys_and_stops_later_releases(settings: Settings, cli_env: dict) -> None:
    slug = open_test_wave(settings, "nhs-staff-survey", "staff")
    instrument = load_instrument("nhs-staff-survey")
    rng = random.Random(8)
    submit(settings, slug, [random_answers(instrument, rng) for _ in range(30)])
    run("mix")
    run("release", "--wave", slug)
    assert run("wave", "close", "--wave", slug)[0] == 0
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        connection.execute(update(Wave).where(Wave.slug == slug).values(closed_on=dt.date.today() - dt.timedelta(days=400)))
        wave = find_wave(connection, slug)
    assert wave is not None
    code, output = run("release", "--wave", slug, "--format", "json")
    assert code == 0, output
    (report,) = json.loads(output)
    assert report["final"] and report["keys_destroyed"]
    with pytest.raises(KeyError):
        WaveKeyStore(settings.key_file).load(wave.id)
    assert count_rows(engine, "closed_answer_part") == 0
    assert count_rows(engine, "release") == 2  # published tables stay
    code, output = run("release", "--wave", slug)
    assert code == 1 and "retired" in output and "no later release" in output


def test_microdata_export_is_k_anonymous_escaped_and_audited(settings: Settings, cli_env: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    import openpyxl

    from survey_app.storage.models import AuditEvent

    slug = open_test_wave(settings, "nhs-staff-survey", "staff")
    instrument = load_instrument("nhs-staff-survey")
    rng = random.Random(12)
    code, output = run("export", "--wave", slug, "--what", "microdata", "--format", "csv", "--out", str(tmp_path / "none.csv"))
    assert code == 1 and "no published microdata" in output
    submit(settings, slug, [random_answers(instrument, rng) for _ in range(300)])
    run("mix")
    run("release", "--wave", slug)
    out = tmp_path / "micro.csv"
    code, output = run("export", "--wave", slug, "--what", "microdata", "--format", "csv", "--out", str(out))
    assert code == 0, output
    records = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    quasi = ("q27c", "q28", "q34a", "q35")
    classes = Counter(tuple(r[q] for q in quasi) for r in records)
    assert records and min(classes.values()) >= 11
    xlsx = tmp_path / "micro.xlsx"
    assert run("export", "--wave", slug, "--what", "microdata", "--format", "xlsx", "--out", str(xlsx))[0] == 0
    sheet = openpyxl.load_workbook(xlsx)["Microdata"]
    assert sheet.max_row == len(records) + 1
    with engine_for(settings.database_url).connect() as connection:
        exports = connection.execute(
            select(AuditEvent.detail).where(AuditEvent.action == "export")
        ).scalars().all()
    assert len(exports) == 2 and all('"what": "microdata"' in detail for detail in exports)


def test_a_withheld_base_is_not_readable_anywhere_in_the_release_rows(settings: Settings, cli_env: dict) -> None:
    """Five Black Caribbean respondents: every cell about them is withheld, and no row of the release
    says five, neither a withheld cell (no base; a reason only where true and safe: "primary" says
    fewer than 11, nothing more) nor the ethnicity question's own counts (once the q28 total row
    counted them), nor a range a reader can solve for, with or without the reasons."""
    from analysis.disclosure import Cell
    from survey_app.breakdowns import build_breakdowns
    from tests.analysis.attacks import feasible_ranges, labelled

    slug = open_test_wave(settings, "bank-temporary-workers", "bank")
    rows = []
    for i, code in enumerate([1] * 60 + [15] * 45 + [16] * 5):
        rows.append({"q28": code, "q14a": 1 + i % 2, "q16b": 1 + i % 2, "tw_worker_type": 1 + i % 2, "q35": 26})
    submit(settings, slug, rows)
    assert run("mix")[0] == 0
    assert run("release", "--wave", slug)[0] == 0
    caribbean = "Black / African / Caribbean / Black British - Caribbean"
    with engine_for(settings.database_url).connect() as connection:
        cells = connection.execute(select(PublishedCell)).all()
        release = connection.execute(select(Release.report, Release.sealed_state)).one()
    measures = {cell.measure for cell in cells}
    assert not measures & {"q28", "q35", "tw_worker_type", "main_organisation"}, "breakdown questions are not measures"
    for cell in cells:
        if cell.withheld is not None:
            assert (cell.base, cell.counts) == (None, None) and cell.withheld in ("primary", "complementary", "withheld"), cell
        if cell.group_label == caribbean:
            assert cell.withheld in ("primary", "withheld"), cell
    assert b"ethnic_category" not in bytes(release.sealed_state) and b"Caribbean" not in bytes(release.sealed_state)
    report = json.loads(release.report)
    assert caribbean not in release.report and report["responses"] == 110
    instrument = load_instrument("bank-temporary-workers").with_organisations([])
    _, relations = build_breakdowns(instrument, {}, 0, (1, 2, 3, 4))
    for measure in ("q14a", "wres5", "wres8"):
        published_ = {
            Cell(c.table_name, c.group_label): ("withheld", None) if c.withheld else ("shown", c.base)
            for c in cells
            if c.measure == measure
        }
        low, high = feasible_ranges([published_], relations, 11)[Cell("ethnic_category", caribbean)]
        assert high - low >= 11, (measure, low, high)
        low, high = feasible_ranges([labelled(cells, measure)], relations, 11)[Cell("ethnic_category", caribbean)]
        assert high - low >= 10, (measure, low, high)  # all of [0, 10] when published as primary
