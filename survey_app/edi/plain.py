"""Results in plain words, for board papers: direction, differences, changes and significance.

A board member reads "BME 31.2%, White 24.0%, p = 0.003" and has to know three more things to act
on it: whether a higher figure is good or bad for this question, whether the difference is likely
to be real, and whether things got better since last time. The pages and the spreadsheet say those
things in words built here, so they say them the same way. The statistics behind the words are in
`analysis.wres` (a two-sided two-proportion z-test, significant when p < 0.05).
"""

from __future__ import annotations

from analysis.indicators import MEASURES
from analysis.wres import Comparison, TrendPoint
from survey_app.indicators import figure_wording, has_wording

HIGHER_IS_WORSE = "Higher is worse"
HIGHER_IS_BETTER = "Higher is better"

GUIDE = (
    (
        "Percentages",
        "Each figure is the share of the group who answered the question and gave the answer the "
        "indicator counts. Read each one with its direction: for harassment, bullying, abuse and "
        "discrimination a higher figure is worse; for equal opportunities a higher figure is better.",
    ),
    (
        "95% intervals",
        "A survey hears from some staff, not all, so each percentage could be a little different with "
        "other respondents. The interval is the range the true figure very probably lies in (95 times "
        "in 100). Small groups have wide intervals: read their figures with care.",
    ),
    (
        "Significant difference",
        "Called significant when a gap this large would happen by chance less than 1 time in 20 "
        "(p < 0.05) if the two groups really had the same experience. A gap that is not significant "
        "may still be real; the survey cannot tell it from chance.",
    ),
    (
        "Change since the last survey",
        "The same test applied to this survey against the previous one. When a question was reworded "
        "between surveys no change is given.",
    ),
)


def higher_is_worse(measure: str) -> bool:
    return MEASURES[measure].higher_is_worse if measure in MEASURES else False


def direction(measure: str) -> str:
    return HIGHER_IS_WORSE if higher_is_worse(measure) else HIGHER_IS_BETTER


def p_words(p_value: float | None) -> str:
    if p_value is None:
        return ""
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def chance_words(significant: bool | None, p_value: float | None) -> str:
    """"unlikely to be chance (p = 0.012)", "could be chance (p = 0.41)" or "not tested"."""
    if significant is None or p_value is None:
        return "not tested"
    verdict = "unlikely to be chance" if significant else "could be chance"
    return f"{verdict} ({p_words(p_value)})"


def difference_verdict(comparison: Comparison | None, measure: str, group: str = "BME") -> str:
    """"Worse for BME staff", "Better for BME staff" or "No significant difference"."""
    if comparison is None or not comparison.available or comparison.gap is None:
        return "Not compared"
    if not comparison.significant:
        return "No significant difference"
    worse = (comparison.gap > 0) == higher_is_worse(measure)
    return f"{'Worse' if worse else 'Better'} for {group} staff"


def difference_sentence(comparison: Comparison | None, measure: str, group: str, wording: str) -> str:
    """One sentence: the gap in points, which way it points for the group, and whether it is chance."""
    if comparison is None:
        return ""
    if not comparison.available:
        if comparison.reason == "withheld":
            return f"No comparison: {group} or {comparison.reference} {has_wording(wording)}."
        return "No comparison: no responses to compare."
    gap = comparison.gap or 0.0
    size = f"{abs(gap):.1f} percentage points {'higher' if gap > 0 else 'lower'}" if gap else "the same"
    than = f" than {comparison.reference}" if gap else f" as {comparison.reference}"
    ratio = "" if comparison.ratio is None else f" (ratio {comparison.ratio:.2f})"
    verdict = difference_verdict(comparison, measure, group)
    if comparison.significant:
        tail = f"{verdict.lower()}; a gap this large is {chance_words(True, comparison.p_value)}."
    elif comparison.significant is None or comparison.p_value is None:
        tail = "not tested (nobody's answer varies)."
    else:
        tail = f"not a significant difference: it {chance_words(False, comparison.p_value)}."
    return f"{group}: {size}{than}{ratio}, {direction(measure).lower()}: {tail}"


def change_words(point: TrendPoint | None, first: bool, wording: str) -> str:
    """The change since the previous wave, in words: "+3.0 points, unlikely to be chance (p = 0.010)"."""
    if point is None or point.figure is None:
        return "not published"
    if first:
        return "first survey"
    if point.question_changed:
        return "question reworded: not compared"
    if point.figure.withheld:
        return figure_wording(point.figure, wording)
    if point.change is None:
        return "not available"
    return f"{point.change:+.1f} points, {chance_words(point.change_significant, point.change_p_value)}"
