"""Themes of free-text testimonies: discovered themes (NMF) and guided themes (the strategy's vocabulary).

Offline and deterministic for a given input and seed: scikit-learn and the parts of nltk that need no
data package (a regular-expression tokeniser, the Snowball stemmer, bigram collocations).

Pipeline (`theme_texts`):

1. **Tokenise and stem.** Redaction placeholders (`[NAME]`, `[WARD]`, anything in square brackets)
   are dropped, so a placeholder never becomes a theme word; words are
   lower-cased, split by `nltk.tokenize.RegexpTokenizer` and stemmed by `SnowballStemmer("english")`.
   Stop words are scikit-learn's `ENGLISH_STOP_WORDS` *less* the negations (`no`, `not`, `nothing`,
   `none`, `never`, ...): "nothing to improve" is itself a theme of feedback. Each stem keeps its most
   frequent surface word (counted in distinct texts: one text repeating a word a hundred times counts
   once), so key phrases read as words, not stems.
2. **Document vectors.** Binary term weights (each stem counted once per text), l2-normalised, then
   smoothed by the corpus's own word co-occurrence: each text becomes the sum of the positive
   pointwise mutual information (PPMI, context distribution smoothed with exponent 0.75) rows of its
   words. Testimonies are short; smoothing lets "nurse" and "staff", "wait" and "appointment" meet.
   (On the pxtextmining benchmark TF-IDF weighting, with or without sublinear tf, lowered agreement
   with the human labels: NMF on TF-IDF reached NMI 0.17-0.19 against 0.25-0.27 here. The TF-IDF
   idea survives in the key phrases, ranked by how over-represented they are in a theme.)
3. **Discovered themes.** NMF (`init="nndsvd"`, coordinate descent) on the smoothed vectors; each text
   goes to its largest NMF component, then a k-means refinement starts from those theme centroids (one
   Lloyd run, no random restarts). NNDSVD is deterministic (its randomised SVD gets a fixed state),
   so for a given k the themes depend on the input only; `seed` enters through the subsamples of
   step 4.
4. **Number of themes by stability.** Candidate k run from min(8, n/500) to min(12, n/10) (at
   least 2; 8..12 from 5,000 texts on, near the label counts of NHS feedback frameworks). For each
   candidate, `STABILITY_RUNS` fits on random 80 % subsamples (drawn from `seed`, the same subsamples
   for every k) label every text; the stability of k is the mean pairwise adjusted Rand index (ARI)
   between those labelings. The *stable* candidates are those within max(2 standard errors,
   `STABILITY_TOLERANCE` = 0.2) of the most stable one. Tie-break among them: separation, the mean
   cosine silhouette of the subsample fits; of the stable k whose separation is within
   `SEPARATION_TOLERANCE` = 0.02 of the best, the largest (more detail for readers when the data do
   not prefer fewer themes). Why: on the pxtextmining comments the stabilities of k = 8..12 all lie
   between 0.52 and 0.85 and the stability of one k varies by about 0.1 (standard deviation) from
   seed to seed, so their order is noise and an arg-max would pick k at random (the tolerance is
   about twice that spread); their silhouettes all lie within 0.14-0.16. And stability alone cannot
   tell k = 2, 3, 4 apart on three clean themes (NNDSVD splits a clean theme the same way every
   time, so all are perfectly stable), where the silhouette clearly picks 3. For speed the
   selection runs on at most `SELECTION_SAMPLE` texts.
5. **Key phrases and labels.** Bigram collocations (nltk `BigramCollocationFinder`, likelihood ratio,
   stems) over the whole corpus, and unigrams; a theme's key phrases are those most over-represented
   in its members (lift of document frequency times log of in-theme frequency), mapped back to the
   most frequent surface form. A discovered theme's label is its top key phrases. A phrase is
   only used if its words, as shown, occur in at least `min_documents` distinct texts of the whole
   corpus (the release passes MIN_CELL): a phrase that only two people wrote, say "quixotic
   zanzibar", would point at them, however large the theme it describes.
6. **Guided themes.** Each guided theme (`GUIDED_THEMES`, from the London Workforce Race Strategy:
   racist remarks and microaggressions, career progression, exclusion, bullying, line managers,
   disciplinary and HR processes, fear of speaking up, Covid-19 risk, representation in leadership,
   bank and agency staff, support networks and allies) has seed phrases matched on whole words (a
   trailing `*` matches any ending); strong phrases weigh 1 and related ones 0.5. A text joins a
   guided theme when the weights of the distinct seed phrases it contains add up to at least
   `threshold` (default 1: one strong phrase or two related ones). A text can join several guided
   themes, or none.

Each theme reports a label, key phrases, the number of testimonies and the member indices (positions
in the input), so the caller can compute shares by coarse attributes through disclosure control and
choose quotes only from respondents who agreed to be quoted.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

import numpy as np
import scipy.sparse as sp
from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder
from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer
from sklearn.cluster import KMeans
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.metrics import adjusted_rand_score, silhouette_score

__all__ = [
    "GUIDED_THEMES",
    "GuidedTheme",
    "Theme",
    "ThemingResult",
    "Tokenised",
    "discover_themes",
    "guided_themes",
    "theme_texts",
    "tokenise",
]

NEGATIONS = frozenset({"no", "not", "nothing", "none", "never", "nobody", "noone", "cannot", "cant", "nor"})
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) - NEGATIONS
PLACEHOLDER = re.compile(r"\[[^\[\]\n]{0,40}\]")
STABILITY_TOLERANCE = 0.2
SELECTION_SAMPLE = 2500
SUBSAMPLE_FRACTION = 0.8
STABILITY_RUNS = 4
SILHOUETTE_SAMPLE = 1200
SEPARATION_TOLERANCE = 0.02
SELECTION_MAX_ITER = 40
MIN_DF = 2
CDS_ALPHA = 0.75

_TOKENISER = RegexpTokenizer(r"[a-z]+(?:['\u2019][a-z]+)?")
_STEMMER = SnowballStemmer("english")


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    return _STEMMER.stem(word)


# --- tokenising ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tokenised:
    """Stemmed tokens per text: `all` keeps stop words (for phrase matching), `content` drops them."""

    all: tuple[tuple[str, ...], ...]
    content: tuple[tuple[str, ...], ...]
    surface: Mapping[str, str]
    """The most frequent surface word of each stem."""
    surface_pairs: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """The most frequent surface form of each pair of adjacent content stems."""
    documents: Mapping[str, int] = field(default_factory=dict)
    """In how many distinct texts each surface word, and each surface pair ("rota meeting"), occurs."""


def _words(text: str) -> list[str]:
    text = PLACEHOLDER.sub(" ", text or "").lower().replace("\u2019", "'")
    return [w.replace("'", "") for w in _TOKENISER.tokenize(text)]


def tokenise(texts: Sequence[str]) -> Tokenised:
    """Tokenises and stems `texts` (see the module docstring)."""
    surface_counts: dict[str, Counter[str]] = {}
    all_docs: list[tuple[str, ...]] = []
    content_docs: list[tuple[str, ...]] = []
    pair_counts: dict[tuple[str, str], Counter[str]] = {}
    documents: Counter[str] = Counter()
    for text in texts:
        stems_all: list[str] = []
        stems_content: list[str] = []
        previous: str | None = None
        seen: set[tuple[str, str]] = set()
        for word in _words(text):
            stem = _stem(word)
            stems_all.append(stem)
            if (word in STOP_WORDS or len(word) < 2) and word not in NEGATIONS:
                continue
            if stems_content and previous is not None:
                pair = f"{previous} {word}"
                if ((stems_content[-1], stem), pair) not in seen:
                    seen.add(((stems_content[-1], stem), pair))
                    pair_counts.setdefault((stems_content[-1], stem), Counter())[pair] += 1
            stems_content.append(stem)
            previous = word
            if (stem, word) not in seen:
                seen.add((stem, word))
                surface_counts.setdefault(stem, Counter())[word] += 1
        documents.update({form for _, form in seen})
        all_docs.append(tuple(stems_all))
        content_docs.append(tuple(stems_content))
    surface = {stem: _most_common(c) for stem, c in surface_counts.items()}
    pairs = {pair: _most_common(c) for pair, c in pair_counts.items()}
    return Tokenised(tuple(all_docs), tuple(content_docs), surface, pairs, documents)


def _most_common(counts: Counter[str]) -> str:
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


# --- themes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """One theme: `members` are positions in the input sequence of texts."""

    id: str
    kind: str  # "discovered" or "guided"
    label: str
    key_phrases: tuple[str, ...]
    count: int
    members: tuple[int, ...]


@dataclass(frozen=True)
class ThemingResult:
    discovered: tuple[Theme, ...]
    guided: tuple[Theme, ...]
    assignments: tuple[int, ...]
    """Discovered theme index per text; -1 for a text with no usable words."""
    k: int
    stability: Mapping[int, float] = field(default_factory=dict)
    """Mean pairwise adjusted Rand index of subsample fits, per candidate k."""


@dataclass(frozen=True)
class GuidedTheme:
    id: str
    label: str
    strong: tuple[str, ...]
    related: tuple[str, ...] = ()


GUIDED_THEMES: tuple[GuidedTheme, ...] = (
    GuidedTheme(
        "racist_remarks",
        "Racist remarks and microaggressions",
        (
            "racis*", "racial abuse", "racially", "microaggression*", "micro aggression*", "monkey*",
            "go back to your country", "go back to my country", "go back to where", "go back home",
            "where are you really from", "where you are really from", "you people", "your lot", "you lot",
            "race card", "paki*", "n word", "slur*", "stereotyp*", "your accent", "my accent", "her accent",
            "his accent", "accent was", "your english", "my english", "her english", "my hair", "skin colour",
            "colour of my skin", "terrorist*", "kung flu", "foreigner*", "tell us apart", "curry muncher",
            "the black one", "not like the other", "don't see colour", "dont see colour", "banter",
        ),
        (
            "remark*", "comment*", "joke*", "jok*", "mocked", "mocks", "mocking", "laughed", "called me",
            "name calling", "race", "colour", "ethnic*", "black", "asian",
        ),
    ),
    GuidedTheme(
        "career_progression",
        "Career progression and being overlooked",
        (
            "promotion*", "promoted", "overlooked", "passed over", "progression", "progress", "career*",
            "band 6", "band 7", "band 8", "acting up", "secondment*", "shortlist*", "interview panel",
            "leadership programme", "development opportunit*", "training opportunit*", "not ready",
            "applied for", "moved up", "leadership material", "not put forward",
        ),
        ("interview*", "appraisal*", "apply", "applied", "job", "post", "training", "course*", "qualified", "band"),
    ),
    GuidedTheme(
        "exclusion",
        "Exclusion from work and decisions",
        (
            "exclud*", "exclusion", "left out", "not invited", "never invited", "ignored", "isolat*",
            "whatsapp group", "not included", "away day", "not consulted", "clique*", "core team",
            "not part of the team", "outsider*",
        ),
        ("meeting*", "invited", "included", "decision*", "handover", "belong*", "team"),
    ),
    GuidedTheme(
        "bullying_harassment",
        "Bullying and harassment",
        (
            "bull*", "harass*", "intimidat*", "humiliat*", "shouted", "shouting", "screamed", "belittl*",
            "undermin*", "hostile", "abuse", "abusive", "threaten*",
        ),
        ("shout*", "rude", "aggressive", "picked on", "targeted", "criticis*", "in front of"),
    ),
    GuidedTheme(
        "line_manager",
        "Line manager treatment",
        (
            "line manager*", "my manager*", "ward manager*", "the manager", "our manager", "her manager",
            "his manager", "manager", "managers", "team leader*", "supervisor*", "nurse in charge",
            "charge nurse", "ward sister",
        ),
        ("appraisal*", "rota", "flexible working", "annual leave", "sickness", "one to one"),
    ),
    GuidedTheme(
        "disciplinary_hr",
        "Disciplinary and HR processes",
        (
            "disciplinar*", "investigat*", "suspend*", "suspension", "grievance*", "formal process",
            "hearing", "capability", "hr", "human resources", "referred to the nmc", "referred to the gmc",
            "referral*", "referred", "fitness to practise", "sacked", "dismiss*", "warning", "datix",
            "no case to answer", "tribunal*",
        ),
        ("formal", "process*", "outcome*", "letter", "panel", "allegation*", "complaint*", "accused"),
    ),
    GuidedTheme(
        "speaking_up",
        "Fear of speaking up and victimisation",
        (
            "speak up", "speaking up", "spoke up", "speak out", "raise concerns", "raised concerns",
            "raised a concern", "raising concerns", "raised it", "whistleblow*", "victimis*", "retaliat*",
            "repercussion*", "afraid", "scared", "fear*", "freedom to speak up", "ftsu", "guardian",
            "don't trust", "dont trust", "not trust", "never again", "put on nights",
        ),
        ("complain*", "report*", "concern*", "trust", "silence*", "worried"),
    ),
    GuidedTheme(
        "covid_safety",
        "Covid-19 risk and safety",
        (
            "covid*", "coronavirus", "pandemic", "risk assessment*", "ppe", "fit test*", "red area*",
            "red zone*", "vaccin*", "booster*", "shielding", "infectious",
        ),
        ("risk*", "safety", "unsafe", "mask*", "exposed", "sick", "died", "vulnerable", "diabetic"),
    ),
    GuidedTheme(
        "representation_leadership",
        "Representation in leadership",
        (
            "representation", "board", "senior team", "senior leader*", "senior management", "director*",
            "executive*", "non exec*", "role model*", "all white", "decision makers", "leadership team",
            "chief exec*",
        ),
        ("senior", "leaders", "leader", "leadership", "management", "chief", "top"),
    ),
    GuidedTheme(
        "bank_agency",
        "Treatment of bank and agency staff",
        (
            "bank staff", "bank nurse*", "bank hca*", "bank worker*", "bank shift*", "bank porter*",
            "bank doctor*", "agency staff", "agency nurse*", "agency hca*", "agency worker*", "locum*",
            "bank", "agency", "temporary staff", "second class", "substantive", "permanent staff",
            "bankers",
        ),
        ("shift*", "cancelled", "induction", "blocked", "rota", "pay", "paid", "permanent"),
    ),
    GuidedTheme(
        "support_networks_allies",
        "Support networks and allies",
        (
            "staff network*", "network*", "ally", "allies", "allyship", "mentor*", "buddy", "stood up for",
            "supported me", "support group*", "reverse mentoring", "sponsor*", "made a real difference",
            "made a difference", "helped me",
        ),
        ("support*", "listened", "chair*", "community", "group"),
    ),
)


@lru_cache(maxsize=64)
def _phrase_pattern(phrases: tuple[str, ...]) -> list[re.Pattern[str]]:
    patterns = []
    for phrase in phrases:
        parts = []
        for word in phrase.lower().replace("\u2019", "'").replace("'", "").split():
            parts.append(re.escape(word[:-1]) + r"\w*" if word.endswith("*") else re.escape(word))
        patterns.append(re.compile(r"\b" + r"\s+".join(parts) + r"\b"))
    return patterns


# --- vectors ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Vectors:
    vocabulary: tuple[str, ...]
    binary: sp.csr_matrix  # texts x stems, 0/1
    smoothed: np.ndarray  # texts x stems, l2-normalised, float32
    usable: np.ndarray  # bool per text


def _l2_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _vectors(content: Sequence[Sequence[str]], min_df: int = MIN_DF) -> _Vectors:
    df: Counter[str] = Counter()
    for doc in content:
        df.update(set(doc))
    vocabulary = tuple(sorted(w for w, c in df.items() if c >= min_df))
    index = {w: i for i, w in enumerate(vocabulary)}
    rows, cols = [], []
    for r, doc in enumerate(content):
        for c in sorted({index[w] for w in doc if w in index}):
            rows.append(r)
            cols.append(c)
    n, v = len(content), len(vocabulary)
    binary = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, v), dtype=np.float64)
    usable = np.asarray(binary.sum(axis=1)).ravel() > 0
    if v == 0:
        return _Vectors(vocabulary, binary, np.zeros((n, 0), dtype=np.float32), usable)
    co = (binary.T @ binary).toarray()
    np.fill_diagonal(co, 0.0)
    total = co.sum()
    if total > 0:
        word = co.sum(axis=1)
        context = word**CDS_ALPHA
        context = context / context.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            ppmi = np.log((co / total) / np.outer(word / total, context))
        ppmi[~np.isfinite(ppmi)] = 0.0
        np.maximum(ppmi, 0.0, out=ppmi)
    else:
        ppmi = np.zeros((v, v))
    row_norms = np.sqrt(np.asarray(binary.sum(axis=1)).ravel())
    row_norms[row_norms == 0] = 1.0
    normalised = sp.diags(1.0 / row_norms) @ binary
    smoothed = _l2_rows(np.asarray(normalised @ ppmi))
    # A text whose words co-occur with no other word keeps its own words as its vector.
    lone = usable & (np.linalg.norm(smoothed, axis=1) == 0)
    if lone.any():
        smoothed[lone] = np.asarray(normalised[lone].todense())
    return _Vectors(vocabulary, binary, smoothed.astype(np.float32), usable)


# --- discovery -------------------------------------------------------------------------------------


def _fit(
    features: np.ndarray, k: int, fit_rows: np.ndarray | None = None, max_iter: int = 60
) -> np.ndarray:
    """NMF (NNDSVD) then a k-means refinement from its theme centroids; labels for all rows. Deterministic."""
    import warnings

    train = features if fit_rows is None else features[fit_rows]
    k = max(1, min(k, train.shape[0], train.shape[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # NNDSVD starts from scikit-learn's randomised SVD: a fixed random_state makes it deterministic.
        model = NMF(n_components=k, init="nndsvd", random_state=0, max_iter=max_iter, tol=1e-2)
        weights = model.fit_transform(train)
    first = weights.argmax(axis=1)
    centres = np.empty((k, train.shape[1]), dtype=np.float64)
    for c in range(k):
        members = first == c
        if members.any():
            centres[c] = train[members].mean(axis=0)
        else:
            component = model.components_[c]
            centres[c] = component / (np.linalg.norm(component) or 1.0)
    km = KMeans(n_clusters=k, init=centres, n_init=1, max_iter=100, random_state=0)
    km.fit(train.astype(np.float64))
    return km.predict(features.astype(np.float64))


def _candidate_ks(n: int) -> list[int]:
    low = max(2, min(8, n // 500))
    high = max(low, min(12, n // 10))
    return list(range(low, high + 1))


def _stability(features: np.ndarray, k: int, seed: int, runs: int) -> tuple[float, float, list[np.ndarray]]:
    """Mean pairwise ARI of fits on `runs` random subsamples, its standard error, and the labelings."""
    n = features.shape[0]
    size = max(k + 1, int(round(SUBSAMPLE_FRACTION * n)))
    labelings = []
    for run in range(runs):
        rng = np.random.default_rng([seed, run])  # the same subsamples for every k
        rows = np.sort(rng.choice(n, size=min(size, n), replace=False))
        labelings.append(_fit(features, k, rows, max_iter=SELECTION_MAX_ITER))
    scores = [adjusted_rand_score(a, b) for a, b in combinations(labelings, 2)]
    if len(scores) < 2:
        return (float(scores[0]) if scores else 1.0), 0.0, labelings
    return float(np.mean(scores)), float(np.std(scores, ddof=1) / math.sqrt(len(scores))), labelings


def _separation(features: np.ndarray, labelings: Sequence[np.ndarray], seed: int) -> float:
    """Mean cosine silhouette of the labelings, on one random sample of at most SILHOUETTE_SAMPLE texts."""
    n = features.shape[0]
    rows = np.sort(np.random.default_rng([seed, 2]).choice(n, size=min(SILHOUETTE_SAMPLE, n), replace=False))
    sample = features[rows].astype(np.float64)
    distances = np.clip(1.0 - sample @ sample.T, 0.0, None)  # rows are unit vectors: cosine distance
    np.fill_diagonal(distances, 0.0)
    scores = []
    for labels in labelings:
        labels = labels[rows]
        if len(np.unique(labels)) < 2:
            scores.append(-1.0)
            continue
        scores.append(float(silhouette_score(distances, labels, metric="precomputed")))
    return float(np.mean(scores))


def _choose_k(features: np.ndarray, ks: Sequence[int], seed: int, runs: int) -> tuple[int, dict[int, float]]:
    n = features.shape[0]
    if n > SELECTION_SAMPLE:
        rng = np.random.default_rng([seed, 1])
        features = features[np.sort(rng.choice(n, size=SELECTION_SAMPLE, replace=False))]
    measured = {k: _stability(features, k, seed, runs) for k in ks}
    best_k = max(measured, key=lambda k: (measured[k][0], -k))
    best, error, _ = measured[best_k]
    threshold = best - max(2 * error, STABILITY_TOLERANCE)
    stable = [k for k, (mean, _, _) in measured.items() if mean >= threshold]
    if len(stable) == 1:
        chosen = stable[0]
    else:
        separation = {k: _separation(features, measured[k][2], seed) for k in stable}
        best_separation = max(separation.values())
        chosen = max(k for k in stable if separation[k] >= best_separation - SEPARATION_TOLERANCE)
    return chosen, {k: mean for k, (mean, _, _) in measured.items()}


def discover_themes(
    texts: Sequence[str],
    *,
    k: int | None = None,
    ks: Sequence[int] | None = None,
    seed: int = 0,
    stability_runs: int = STABILITY_RUNS,
    tokens: Tokenised | None = None,
) -> tuple[np.ndarray, int, dict[int, float], _Vectors, Tokenised]:
    """Assignments (-1 for texts with no usable words), chosen k, stability per candidate k."""
    tokens = tokens or tokenise(texts)
    vectors = _vectors(tokens.content)
    assignments = np.full(len(texts), -1, dtype=int)
    usable = np.flatnonzero(vectors.usable)
    if len(usable) == 0 or vectors.smoothed.shape[1] == 0:
        return assignments, 0, {}, vectors, tokens
    features = vectors.smoothed[usable]
    if len(usable) < 4:
        assignments[usable] = 0
        return assignments, 1, {}, vectors, tokens
    stability: dict[int, float] = {}
    if k is None:
        candidates = [c for c in (ks or _candidate_ks(len(usable))) if 1 <= c < len(usable)]
        if not candidates:
            candidates = [1]
        k, stability = _choose_k(features, candidates, seed, stability_runs) if len(candidates) > 1 else (
            candidates[0],
            {},
        )
    labels = _fit(features, k)
    # Number themes by size, largest first, so ids are stable and readable.
    order = sorted(range(k), key=lambda c: (-int((labels == c).sum()), c))
    rename = {old: new for new, old in enumerate(order)}
    assignments[usable] = [rename[c] for c in labels]
    return assignments, k, stability, vectors, tokens


# --- key phrases -------------------------------------------------------------------------------------


def _collocations(content: Sequence[Sequence[str]], limit: int = 2000) -> set[tuple[str, str]]:
    finder = BigramCollocationFinder.from_documents([list(d) for d in content])
    finder.apply_freq_filter(2)
    measures = BigramAssocMeasures()
    scored = finder.score_ngrams(measures.likelihood_ratio)
    return {gram for gram, score in scored[:limit] if score > 3.84 and gram[0] != gram[1]}


def _key_phrases(
    tokens: Tokenised,
    members: np.ndarray,
    collocations: set[tuple[str, str]],
    top: int = 8,
    min_documents: int = 1,
) -> tuple[str, ...]:
    n = len(tokens.content)
    inside = Counter()
    outside = Counter()
    member_set = set(members.tolist())
    for i, doc in enumerate(tokens.content):
        grams = set(doc)
        for a, b in zip(doc, doc[1:]):
            if (a, b) in collocations:
                grams.add((a, b))
        target = inside if i in member_set else outside
        target.update(grams)
    m = max(1, len(member_set))
    rest = max(1, n - len(member_set))
    scored = []
    for gram, count in inside.items():
        if count < 2 and m > 3:
            continue
        p_in = count / m
        p_out = (outside[gram] + 0.5) / (rest + 1)
        lift = p_in / p_out
        weight = 1.3 if isinstance(gram, tuple) else 1.0
        scored.append((weight * math.log1p(count) * math.log1p(lift) * p_in**0.5, gram))
    scored.sort(key=lambda x: (-x[0], str(x[1])))
    phrases: list[str] = []
    used: set[str] = set()
    for _, gram in scored:
        if isinstance(gram, tuple):
            if gram[0] in used and gram[1] in used:
                continue
            phrase = tokens.surface_pairs.get(gram) or (
                f"{tokens.surface.get(gram[0], gram[0])} {tokens.surface.get(gram[1], gram[1])}"
            )
            used.update(gram)
        else:
            if gram in used:
                continue
            phrase = tokens.surface.get(gram, gram)
            used.add(gram)
        if not _common_enough(tokens, phrase, min_documents):
            continue
        if phrase not in phrases:
            phrases.append(phrase)
        if len(phrases) >= top:
            break
    return tuple(phrases)


def _common_enough(tokens: Tokenised, phrase: str, min_documents: int) -> bool:
    """The phrase, and each of its words, as shown, occurs in at least min_documents texts."""
    if min_documents <= 1:
        return True
    forms = [phrase, *phrase.split()] if " " in phrase else [phrase]
    return all(tokens.documents.get(form, 0) >= min_documents for form in forms)


# --- guided themes -------------------------------------------------------------------------------------


def guided_themes(
    texts: Sequence[str],
    themes: Sequence[GuidedTheme] = GUIDED_THEMES,
    *,
    threshold: float = 1.0,
    tokens: Tokenised | None = None,
    min_documents: int = 1,
) -> list[Theme]:
    """Guided themes: a text joins a theme when its seed phrases weigh at least `threshold`.

    Seed phrases match whole lower-case words (apostrophes dropped); a word ending in `*` matches any
    word it begins (`bull*`: bully, bullied, bullying). Words are matched before stemming, so
    "manager" does not match "manage".
    """
    tokens = tokens or tokenise(texts)
    joined = [" ".join(_words(t)) for t in texts]
    collocations = _collocations(tokens.content) if any(tokens.content) else set()
    result = []
    for theme in themes:
        strong = _phrase_pattern(tuple(theme.strong))
        related = _phrase_pattern(tuple(p for p in theme.related if p not in theme.strong))
        members = []
        for i, text in enumerate(joined):
            weight = sum(1.0 for p in strong if p.search(text))
            if weight < threshold:
                weight += sum(0.5 for p in related if p.search(text))
            if weight >= threshold:
                members.append(i)
        member_array = np.asarray(members, dtype=int)
        phrases = _key_phrases(tokens, member_array, collocations, min_documents=min_documents) if members else ()
        result.append(
            Theme(
                id=theme.id,
                kind="guided",
                label=theme.label,
                key_phrases=phrases,
                count=len(members),
                members=tuple(members),
            )
        )
    return result


# --- entry point ------------------------------------------------------------------------------------------


def theme_texts(
    texts: Sequence[str],
    *,
    k: int | None = None,
    ks: Sequence[int] | None = None,
    seed: int = 0,
    stability_runs: int = STABILITY_RUNS,
    guided: Sequence[GuidedTheme] | None = GUIDED_THEMES,
    guided_threshold: float = 1.0,
    min_documents: int = 1,
) -> ThemingResult:
    """Discovered and guided themes of `texts` (already redacted). See the module docstring.

    `min_documents`: a key phrase (and so a discovered theme's label) must occur in at least this
    many distinct texts."""
    texts = [t or "" for t in texts]
    tokens = tokenise(texts)
    assignments, chosen, stability, _, tokens = discover_themes(
        texts, k=k, ks=ks, seed=seed, stability_runs=stability_runs, tokens=tokens
    )
    collocations = _collocations(tokens.content) if any(tokens.content) else set()
    discovered = []
    for c in range(chosen):
        members = np.flatnonzero(assignments == c)
        phrases = _key_phrases(tokens, members, collocations, min_documents=min_documents)
        label = " / ".join(phrases[:3]) if phrases else f"Theme {c + 1}"
        discovered.append(
            Theme(
                id=f"discovered-{c + 1}",
                kind="discovered",
                label=label,
                key_phrases=phrases,
                count=int(len(members)),
                members=tuple(int(i) for i in members),
            )
        )
    guided_result = (
        guided_themes(texts, guided, threshold=guided_threshold, tokens=tokens, min_documents=min_documents)
        if guided
        else []
    )
    return ThemingResult(
        discovered=tuple(discovered),
        guided=tuple(guided_result),
        assignments=tuple(int(a) for a in assignments),
        k=chosen,
        stability=stability,
    )
