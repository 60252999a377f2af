"""WRES indicators: the derived measures' edge rules, Wilson intervals, gaps and tests, withheld cells, trends."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, chi2_contingency

from analysis.indicators import COMPANIONS, MEASURES, WRES, Measure, companion_measures, indicator_measures, wres_measures
from analysis.tables import Column
from analysis.wres import (
    IndicatorCell,
    WaveCells,
    bme_white_gap,
    compare,
    figure,
    pooled_gap,
    question_changed,
    response_rate,
    series_for,
    trends,
    two_proportion_z_test,
    wilson_interval,
)

FIVE = (1, 2, 3, 4, 5)


def single(name: str, codes: tuple[int, ...], values: list[int | None]) -> Column:
    return Column.single(name, codes, values)


def yes_base(column: Column) -> tuple[int, int]:
    """(yes count, base) of a derived measure's column."""
    assert column.codes == (1, 2)
    return int(column.chosen[:, 0].sum()), int(column.answered.sum())


def measures_of(columns: dict[str, Column]) -> dict[str, Column]:
    return {column.name: column for column in indicator_measures(columns)}


# --- the derived measures --------------------------------------------------------------------------

def test_dont_know_is_excluded_from_indicator_7() -> None:
    q15 = single("q15", (1, 2, 9), [1, 1, 2, 9, 9, 9, None])
    (wres7,) = wres_measures({"q15": q15})
    assert wres7.name == "wres7"
    assert yes_base(wres7) == (2, 3)  # two Yes out of Yes + No; three "Don't know" and one blank are in neither
    assert wres7.chosen[3:].any() == False  # noqa: E712 - neither yes nor no for Don't know and blank


def test_indicator_6_counts_a_person_once() -> None:
    # person 0: both managers and colleagues; 1: managers only; 2: colleagues only; 3: never; 4: q14c only, never
    q14b = single("q14b", FIVE, [3, 2, 1, 1, None])
    q14c = single("q14c", FIVE, [5, 1, 4, 1, 1])
    (wres6,) = wres_measures({"q14b": q14b, "q14c": q14c})
    assert yes_base(wres6) == (3, 5)
    assert wres6.chosen[:, 0].tolist() == [True, True, True, False, False]


def test_missing_answers_are_excluded_from_bases() -> None:
    n = 6
    columns = {
        "q14a": single("q14a", FIVE, [1, 2, None, None, 5, 1]),
        "q14b": single("q14b", FIVE, [None] * n),
        "q14c": single("q14c", FIVE, [None, 1, None, None, None, 2]),
        "q15": single("q15", (1, 2, 9), [None, None, 1, None, None, None]),
        "q16b": single("q16b", (1, 2), [1, None, None, 2, None, None]),
    }
    figures = {name: yes_base(column) for name, column in measures_of(columns).items()}
    assert figures == {"wres5": (2, 4), "wres6": (1, 2), "wres7": (1, 1), "wres8": (1, 2)}


def test_a_measure_reads_answers_given_as_choices_as_it_reads_codes() -> None:
    q15 = single("q15", (1, 2, 9), [1, 2, None, 9, 1])
    as_choices = Column("q15", (1, 2, 9), q15.chosen)  # the form a multiple-choice question takes
    (by_code,) = wres_measures({"q15": q15})
    (by_choice,) = wres_measures({"q15": as_choices})
    assert yes_base(by_code) == yes_base(by_choice) == (2, 3)
    assert np.array_equal(by_code.chosen, by_choice.chosen)


def test_a_measure_whose_yes_is_outside_its_base_is_refused() -> None:
    with pytest.raises(ValueError):
        Measure("odd", "Odd", ("q15",), (9,), (1, 2))


def test_a_measure_is_derived_only_when_the_wave_asked_all_its_questions() -> None:
    columns = {"q14b": single("q14b", FIVE, [2])}  # no q14c: no indicator 6
    assert indicator_measures(columns) == []
    assert [m.name for m in companion_measures({"q16a": single("q16a", (1, 2), [1])})] == ["discrimination_public"]


def test_companion_codes_follow_the_instruments() -> None:
    columns = {
        "q13a": single("q13a", FIVE, [1, 2, None, 1]),
        "q13b": single("q13b", FIVE, [1, 3, None, None]),
        "q13c": single("q13c", FIVE, [None, 4, None, 1]),
        # 1 I reported, 2 a colleague did, 3 no, 4 don't know, 9 not applicable
        "q14d": single("q14d", (1, 2, 3, 4, 9), [1, 2, 3, 4]),
        "q20a": single("q20a", FIVE, [3, 4, 5, None]),  # neither (3) is in the base, not agree
        "q25e": single("q25e", FIVE, [1, 2, 4, 5]),
        # 1 yes and useful, 2 yes but not useful, 3 no, 4 can't remember
        "tw_induction": single("tw_induction", (1, 2, 3, 4), [1, 2, 3, 4]),
        "tw_risk_assessment": single("tw_risk_assessment", (1, 2, 3, 9), [1, 2, 3, 9]),
        "tw_referred_regulator": single("tw_referred_regulator", (1, 2, 9), [1, 2, 9, 9]),
        "tw_blocked_shifts": single("tw_blocked_shifts", (1, 2, 9), [2, 2, 9, 1]),
    }
    figures = {name: yes_base(column) for name, column in measures_of(columns).items()}
    assert figures == {
        "violence_any": (1, 3),  # person 1 counted once across q13a, q13b and q13c; person 2 answered none
        "harassment_reported": (2, 3),
        "raise_concerns_secure": (2, 3),
        "safe_to_speak_up": (2, 4),
        "tw_had_induction": (2, 3),
        "tw_risk_assessed": (1, 3),
        "tw_referred": (1, 2),
        "tw_blocked": (1, 3),
    }


def test_every_measure_names_codes_its_instrument_has() -> None:
    from questionnaires import load_instrument

    bank = load_instrument("bank-temporary-workers")
    staff = load_instrument("nhs-staff-survey")
    for measure in (*WRES, *COMPANIONS):
        instrument = bank if measure.name.startswith("tw_") else staff
        for question_id in measure.questions:
            codes = instrument.questions[question_id].codes
            assert set(measure.yes_codes) <= set(codes), measure.name
            assert set(measure.base_codes or ()) <= set(codes), measure.name
            assert set(measure.yes_codes) <= set(measure.base_codes or codes), measure.name
        assert measure.name not in instrument.questions  # a derived measure never shadows a question


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(*[st.sampled_from([None, 1, 2, 3, 4, 5])] * 3, st.sampled_from([None, 1, 2, 9]), st.sampled_from([None, 1, 2])), max_size=40))
def test_wres_measures_match_the_indicator_definitions(rows: list[tuple]) -> None:
    """The generic measures reproduce the WRES definitions written out person by person."""
    columns = {
        "q14a": single("q14a", FIVE, [r[0] for r in rows]),
        "q14b": single("q14b", FIVE, [r[1] for r in rows]),
        "q14c": single("q14c", FIVE, [r[2] for r in rows]),
        "q15": single("q15", (1, 2, 9), [r[3] for r in rows]),
        "q16b": single("q16b", (1, 2), [r[4] for r in rows]),
    }
    got = measures_of(columns)
    expected = {
        "wres5": ([r[0] in (2, 3, 4, 5) for r in rows], [r[0] is not None for r in rows]),
        "wres6": (
            [r[1] in (2, 3, 4, 5) or r[2] in (2, 3, 4, 5) for r in rows],
            [r[1] is not None or r[2] is not None for r in rows],
        ),
        "wres7": ([r[3] == 1 for r in rows], [r[3] in (1, 2) for r in rows]),
        "wres8": ([r[4] == 1 for r in rows], [r[4] is not None for r in rows]),
    }
    for name, (yes, base) in expected.items():
        column = got[name]
        assert column.chosen[:, 0].tolist() == [y and b for y, b in zip(yes, base)], name
        assert column.chosen[:, 1].tolist() == [not y and b for y, b in zip(yes, base)], name


# --- statistics -------------------------------------------------------------------------------------

def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(20, 100)
    assert (round(100 * low, 2), round(100 * high, 2)) == (13.34, 28.88)
    # Published reference values (Newcombe 1998, table I): 81/263 -> 0.2553..0.3662; 0/10 -> 0..0.2775
    assert [round(x, 4) for x in wilson_interval(81, 263)] == [0.2553, 0.3662]
    assert [round(x, 4) for x in wilson_interval(0, 10)] == [0.0, 0.2775]
    assert [round(x, 4) for x in wilson_interval(10, 10)] == [0.7225, 1.0]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_agrees_with_scipy(pair: tuple[int, int]) -> None:
    count, base = pair
    expected = binomtest(count, base).proportion_ci(0.95, method="wilson")
    low, high = wilson_interval(count, base)
    assert math.isclose(low, expected.low, abs_tol=1e-9) and math.isclose(high, expected.high, abs_tol=1e-9)
    assert low <= count / base <= high


def test_two_proportion_z_test_hand_computed() -> None:
    # 60/200 vs 40/200: pooled p = 0.25, se = sqrt(0.25 * 0.75 * (1/200 + 1/200)) = 0.0433013, z = 0.1 / se
    z, p = two_proportion_z_test(60, 200, 40, 200)
    assert round(z, 4) == 2.3094 and round(p, 4) == 0.0209
    # 55/200 vs 40/200: pooled 0.2375, se = 0.0425551, z = 1.7624, p = 0.078
    z, p = two_proportion_z_test(55, 200, 40, 200)
    assert round(z, 4) == 1.7624 and round(p, 3) == 0.078
    # The pooled z-test is the 2x2 chi-squared test without continuity correction: z^2 = chi^2.
    chi2, p_chi, _, _ = chi2_contingency(np.array([[55, 145], [40, 160]]), correction=False)
    assert math.isclose(z * z, chi2) and math.isclose(p, p_chi)
    assert two_proportion_z_test(0, 50, 0, 80) is None  # nothing varies: nothing to test


def cell(group: str, measure: str, yes: int | None, base: int | None, table: str = "bme_white") -> IndicatorCell:
    return IndicatorCell(table, group, measure, base, yes, base is None)


def test_bme_white_gap_ratio_and_significance_hand_computed() -> None:
    cells = [
        cell("White", "wres5", 328, 1000),
        cell("BME", "wres5", 317, 1000),
        cell("White", "wres8", 84, 1000),
        cell("BME", "wres8", 164, 1000),
    ]
    harassment = bme_white_gap(cells, "wres5")
    # 31.7% - 32.8% = -1.1 points; ratio 31.7 / 32.8 = 0.9665; pooled p = 0.3225, se = 0.020904, z = -0.5262
    assert round(harassment.gap, 6) == -1.1 and round(harassment.ratio, 4) == 0.9665
    assert round(harassment.z, 3) == -0.526 and round(harassment.p_value, 3) == 0.599
    assert harassment.significant is False
    discrimination = bme_white_gap(cells, "wres8")
    # 16.4% - 8.4% = 8.0 points; ratio 1.9524; pooled p = 0.124, se = 0.014739, z = 5.4276, p = 5.7e-8
    assert round(discrimination.gap, 6) == 8.0 and round(discrimination.ratio, 4) == 1.9524
    assert round(discrimination.z, 3) == 5.428 and discrimination.p_value < 1e-7
    assert discrimination.significant is True


def test_ratio_is_none_when_the_reference_is_zero() -> None:
    comparison = compare(figure(cell("BME", "wres8", 5, 40)), figure(cell("White", "wres8", 0, 40)))
    assert comparison.available and comparison.gap == 12.5 and comparison.ratio is None


def test_response_rate() -> None:
    assert response_rate(250, 1000) == 25.0
    assert response_rate(250, None) is None
    with pytest.raises(ValueError):
        response_rate(10, 0)


# --- withheld cells -----------------------------------------------------------------------------

def test_a_withheld_cell_yields_no_number_anywhere() -> None:
    withheld = cell("BME", "wres5", None, None)
    shown = figure(withheld)
    assert shown.withheld and not shown.shown
    assert (shown.base, shown.count, shown.percent, shown.ci_low, shown.ci_high) == (None,) * 5
    for comparison in (
        bme_white_gap([withheld, cell("White", "wres5", 300, 1000)], "wres5"),
        bme_white_gap([cell("BME", "wres5", 300, 1000), cell("White", "wres5", None, None)], "wres5"),
    ):
        assert not comparison.available and comparison.reason == "withheld"
        assert (comparison.gap, comparison.ratio, comparison.z, comparison.p_value, comparison.significant) == (None,) * 5
    with pytest.raises(ValueError):
        IndicatorCell("bme_white", "BME", "wres5", 7, None, True)  # a withheld cell carries no figure
    with pytest.raises(ValueError):
        IndicatorCell("bme_white", "BME", "wres5", None, 3, True)


TEMPORARY = ("In-house bank only", "Agency", "Locum", "Fixed-term contract")
SUBSTANTIVE = "Bank alongside a substantive (permanent) post"


def worker_cells(locum: tuple[int, int] | None) -> list[IndicatorCell]:
    figures = {"In-house bank only": (10, 40), "Agency": (12, 30), "Locum": locum, "Fixed-term contract": (5, 30), SUBSTANTIVE: (6, 50)}
    return [
        cell(group, "wres5", *(pair if pair is not None else (None, None)), table="worker_type")
        for group, pair in figures.items()
    ]


def test_temporary_against_substantive_pools_the_temporary_groups() -> None:
    gap = pooled_gap(worker_cells((13, 20)), "wres5", TEMPORARY, SUBSTANTIVE)
    assert gap.available and gap.temporary is not None and gap.comparison is not None
    # (10 + 12 + 13 + 5) / (40 + 30 + 20 + 30) = 40 / 120 = 33.33%; substantive 6 / 50 = 12%
    assert (gap.temporary.count, gap.temporary.base) == (40, 120)
    assert round(gap.comparison.gap, 4) == round(100 * 40 / 120 - 12.0, 4)
    z, p = two_proportion_z_test(40, 120, 6, 50)
    assert gap.comparison.z == z and gap.comparison.significant == (p < 0.05)


def test_temporary_gap_is_unavailable_when_any_temporary_group_is_withheld() -> None:
    gap = pooled_gap(worker_cells(None), "wres5", TEMPORARY, SUBSTANTIVE)
    assert not gap.available and gap.reason == "withheld"
    assert gap.temporary is None and gap.comparison is None  # not the three shown groups, nor anything else
    missing = pooled_gap(worker_cells((13, 20))[1:], "wres5", TEMPORARY, SUBSTANTIVE)
    assert not missing.available and missing.reason == "not published"


# --- trends -----------------------------------------------------------------------------------------

def test_question_change_rule_for_q15() -> None:
    assert question_changed("wres7", "2024.1", "2025.1")
    assert question_changed("wres7", "2025.1", "2024.2")  # either order
    assert question_changed("q15", "2023.1", "2026.1")
    assert not question_changed("wres7", "2025.1", "2026.1")
    assert not question_changed("wres7", "2023.1", "2024.1")
    assert not question_changed("wres5", "2024.1", "2025.1")  # q14a did not change
    assert question_changed("wres7", "spring", "2025.1")  # no year: a possible change
    assert not question_changed("wres5", "spring", "2025.1")


def test_trend_series_flags_the_q15_change_and_never_uses_withheld_points() -> None:
    waves = [
        WaveCells("2023", "2023.1", [cell("BME", "wres7", 60, 100), cell("BME", "wres5", 30, 100)]),
        WaveCells("2024", "2024.1", [cell("BME", "wres7", 65, 100), cell("BME", "wres5", None, None)]),
        WaveCells("2025", "2025.1", [cell("BME", "wres7", 70, 100), cell("BME", "wres5", 35, 100)]),
        WaveCells("2026", "2026.1", [cell("BME", "wres7", 72, 100)]),
    ]
    series = trends(waves)
    wres7 = series_for(series, "wres7", "bme_white", "BME")
    assert wres7 is not None
    assert [p.question_changed for p in wres7.points] == [False, False, True, False]
    assert [None if p.change is None else round(p.change, 6) for p in wres7.points] == [None, 5.0, None, 2.0]
    wres5 = series_for(series, "wres5", "bme_white", "BME")
    assert wres5 is not None
    assert [p.figure.withheld if p.figure else None for p in wres5.points] == [False, True, False, None]
    assert [p.change for p in wres5.points] == [None, None, None, None]  # never across a withheld point
    assert not any(p.question_changed for p in wres5.points)
    assert wres5.points[1].figure is not None and wres5.points[1].figure.percent is None


def test_measure_registry_is_the_documented_table() -> None:
    import analysis.indicators as module

    for name in MEASURES:
        assert f"| {name} |" in (module.__doc__ or ""), name


def test_a_change_between_waves_carries_a_two_proportion_test() -> None:
    waves = [
        WaveCells("2024", "2024.1", [cell("BME", "wres5", 300, 1000), cell("White", "wres5", 250, 1000)]),
        WaveCells("2025", "2025.1", [cell("BME", "wres5", 360, 1000), cell("White", "wres5", 255, 1000)]),
        WaveCells("2026", "2026.1", [cell("BME", "wres5", None, None), cell("White", "wres5", 0, 20)]),
    ]
    series = trends(waves)
    bme, white = (series_for(series, "wres5", "bme_white", group) for group in ("BME", "White"))
    assert bme is not None and white is not None
    # 30% -> 36% of 1,000 each: z = 2.86, significant; 25.0% -> 25.5%: z = 0.26, could be chance.
    expected = two_proportion_z_test(360, 1000, 300, 1000)
    assert expected is not None
    assert bme.points[1].change == pytest.approx(6.0)
    assert bme.points[1].change_p_value == pytest.approx(expected[1]) and bme.points[1].change_p_value < 0.05
    assert bme.points[1].change_significant is True
    assert white.points[1].change == pytest.approx(0.5)
    assert white.points[1].change_p_value > 0.05 and white.points[1].change_significant is False
    # No test for the first wave, across a withheld figure, or when nothing varies can be formed.
    assert (bme.points[0].change_p_value, bme.points[0].change_significant) == (None, None)
    assert (bme.points[2].change, bme.points[2].change_p_value, bme.points[2].change_significant) == (None, None, None)
    assert white.points[2].change == pytest.approx(-25.5) and white.points[2].change_significant is True
    flat = trends([WaveCells("a", "2025.1", [cell("BME", "wres8", 0, 50)]), WaveCells("b", "2025.1", [cell("BME", "wres8", 0, 60)])])
    point = flat[0].points[1]
    assert point.change == 0.0 and (point.change_p_value, point.change_significant) == (None, None)
