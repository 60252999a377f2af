"""Theming: obvious themes in small synthetic corpora are recovered, guided themes, determinism, key phrases."""

from __future__ import annotations

import random

import pytest
from sklearn.metrics import adjusted_rand_score

from analysis.theming import GUIDED_THEMES, guided_themes, theme_texts, tokenise

TOPICS = {
    "parking": (
        ["the car park", "parking", "the parking fees", "finding a parking space", "the car park barrier"],
        ["is always full", "costs too much", "was impossible at night", "made me late for my shift", "needs more spaces"],
    ),
    "food": (
        ["the canteen food", "the hot meals", "the staff canteen", "the vending machines", "the sandwiches"],
        ["were cold again", "close before nights finish", "have no halal options", "are too expensive", "ran out at lunch"],
    ),
    "rota": (
        ["the rota", "my shift pattern", "the night rota", "the e-rostering system", "the weekend rota"],
        ["is published too late", "changes without warning", "gives me six nights in a row", "ignores my requests", "is never fair"],
    ),
}


def corpus(per_topic: int = 40, seed: int = 1) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    texts, truth = [], []
    for number, (subjects, predicates) in enumerate(TOPICS.values()):
        for _ in range(per_topic):
            text = f"{rng.choice(subjects).capitalize()} {rng.choice(predicates)}."
            if rng.random() < 0.5:
                text += f" Also {rng.choice(subjects)} {rng.choice(predicates)}."
            texts.append(text)
            truth.append(number)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [truth[i] for i in order]


@pytest.fixture(scope="module")
def themed():
    texts, truth = corpus()
    return texts, truth, theme_texts(texts, seed=0)


def test_obvious_themes_recovered_and_k_chosen_by_stability(themed):
    texts, truth, result = themed
    assert result.k == 3, result.stability
    assert adjusted_rand_score(truth, result.assignments) >= 0.9
    assert result.stability[3] >= 0.9
    assert sum(t.count for t in result.discovered) == len(texts)
    members = sorted(i for t in result.discovered for i in t.members)
    assert members == list(range(len(texts)))


def test_labels_and_key_phrases_are_readable(themed):
    _, _, result = themed
    labels = " | ".join(t.label for t in result.discovered)
    for word in ("park", "canteen", "rota"):
        assert word in labels, labels
    phrases = [p for t in result.discovered for p in t.key_phrases]
    assert "car park" in phrases  # a collocation, in its surface form
    assert all(p == p.lower() and "_" not in p for p in phrases)


def test_fixed_k_and_explicit_candidates():
    texts, truth = corpus(per_topic=20, seed=3)
    assert theme_texts(texts, k=3, guided=None).k == 3
    result = theme_texts(texts, ks=[2, 3, 4], guided=None)
    assert result.k == 3
    assert set(result.stability) == {2, 3, 4}
    assert adjusted_rand_score(truth, result.assignments) >= 0.9


def test_deterministic():
    texts, _ = corpus(per_topic=25, seed=7)
    a = theme_texts(texts, seed=4)
    b = theme_texts(list(texts), seed=4)
    assert a == b


def test_placeholders_and_stop_words_are_not_themes():
    tokens = tokenise(["[NAME] said [WARD] was the worst", "Nothing to improve."])
    assert "name" not in tokens.content[0] and "ward" not in tokens.content[0]
    assert tokens.content[1] == ("noth", "improv")
    assert tokens.surface["noth"] == "nothing"


def test_empty_and_tiny_inputs():
    assert theme_texts([]).discovered == ()
    result = theme_texts(["", "the and of"])
    assert result.assignments == (-1, -1)
    result = theme_texts(["bullied by my manager", "my manager bullied me", "bank shifts cancelled"])
    assert len(result.assignments) == 3


RACIST = [
    "A patient told me to go back to my country and the nurse in charge laughed.",
    "Colleagues keep asking where I am really from and mock my accent in handover.",
    "He called me a monkey in front of the team. Racist remarks are normal here.",
    "The microaggressions are daily, 'you people' this and 'your lot' that.",
]
OTHER = [
    "I was overlooked for promotion to band 6 three times.",
    "Bank staff get their shifts cancelled with two hours notice.",
    "We were sent to red areas without fit testing during covid.",
    "The staff network and my mentor helped me through the grievance.",
    "My line manager refuses flexible working for childcare.",
    "I am afraid to speak up after what happened to the last person who raised concerns.",
    "There is nobody from an ethnic minority on the board or in the senior team.",
]


def test_guided_racist_remarks():
    themes = {t.id: t for t in guided_themes(RACIST + OTHER)}
    assert set(themes) == {g.id for g in GUIDED_THEMES}
    assert set(themes["racist_remarks"].members) == {0, 1, 2, 3}
    assert themes["racist_remarks"].label == "Racist remarks and microaggressions"
    assert themes["career_progression"].members == (4,)
    assert 5 in themes["bank_agency"].members
    assert 6 in themes["covid_safety"].members
    assert 7 in themes["support_networks_allies"].members
    assert 8 in themes["line_manager"].members
    assert 9 in themes["speaking_up"].members
    assert 10 in themes["representation_leadership"].members
    assert themes["racist_remarks"].count == 4


def test_guided_matches_words_not_stems():
    themes = {t.id: t for t in guided_themes(["I manage my pain well", "my manager shouted at me"])}
    assert themes["line_manager"].members == (1,)
    assert themes["bullying_harassment"].members == (1,)


def test_guided_threshold():
    texts = ["one comment about the rota", "a joke and a comment"]
    low = {t.id: t for t in guided_themes(texts, threshold=0.5)}
    high = {t.id: t for t in guided_themes(texts, threshold=1.0)}
    assert 1 in low["racist_remarks"].members
    assert 1 in high["racist_remarks"].members  # two related phrases weigh 1
    assert 0 not in high["racist_remarks"].members


def test_theme_texts_includes_guided(themed):
    _, _, result = themed
    assert [t.id for t in result.guided] == [g.id for g in GUIDED_THEMES]
    assert all(t.kind == "guided" for t in result.guided)
    assert all(t.kind == "discovered" for t in result.discovered)
