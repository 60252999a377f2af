"""Trains the name tagger and writes analysis/redaction/data/name_tagger.crfsuite. Not imported at run time.

    .venv/bin/python -m analysis.redaction_training.train            # the shipped model
    .venv/bin/python -m analysis.redaction_training.train --dev      # train on 80% of the templates, score the rest

Reproducible: a fixed seed drives the generator and the held-out names, and L-BFGS is deterministic, so a
rerun writes the same bytes (tests/analysis/test_redaction_training.py checks a small run twice).

A quarter of the listed names are hidden from the lexicon while training (`generate.held_out`): their
list features are off, as for a name no list holds, so the model learns context and shape as well as
membership. The shipped model runs with the full lexicon.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import pycrfsuite

from analysis.redaction import tagger
from analysis.redaction_training.generate import Example, Generator, held_out, read_templates, split_templates

SEED = 20260
EXAMPLES = 20_000
MODEL_PATH = Path(tagger.__file__).resolve().parent / "data" / tagger.MODEL_FILE
PARAMS = {
    "c1": 0.02,
    "c2": 0.01,
    "max_iterations": 200,
    "feature.possible_transitions": True,
    "feature.minfreq": 2,
}


def labels(example: Example, tokens: tagger.Tokens) -> list[str]:
    """B for the first token of a name, I for the rest of it, O elsewhere."""
    out = []
    current = None
    for s, e, _ in tokens:
        inside = next((span for span in example.spans if s >= span[0] and e <= span[1]), None)
        if inside is None:
            out.append("O")
        else:
            out.append("I" if inside == current else "B")
        current = inside
    return out


def use_training_lexicon(hidden: frozenset[str]) -> None:
    """Features from here on see the lexicon without `hidden` (until `use_shipped_lexicon`)."""
    full = tagger.lexicon()
    tagger._TRAINING_LEXICON[:] = [replace(full, given=full.given - hidden, surnames=full.surnames - hidden)]
    tagger._word_features.cache_clear()


def use_shipped_lexicon() -> None:
    tagger._TRAINING_LEXICON[:] = []
    tagger._word_features.cache_clear()


def train(examples: Iterable[Example], path: Path) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for example in examples:
        tokens = tagger.tokenise(example.text)
        if tokens:
            trainer.append(tagger.featurise(example.text, tokens, tagger.lower_style(example.text)), labels(example, tokens))
    trainer.set_params(PARAMS)
    trainer.train(str(path))


def build(path: Path, seed: int = SEED, count: int = EXAMPLES, templates=None) -> None:  # type: ignore[no-untyped-def]
    examples = Generator(seed, templates).examples(count)
    use_training_lexicon(held_out(seed))
    try:
        train(examples, path)
    finally:
        use_shipped_lexicon()


def score(model: Path, examples: Sequence[Example]) -> tuple[float, float, list[str]]:
    """Span recall (a name wholly covered) and precision (a tagged span overlapping a name), and the misses."""
    t = pycrfsuite.Tagger()
    t.open(str(model))
    labelled = found = predicted = correct = 0
    misses: list[str] = []
    for ex in examples:
        tokens = tagger.tokenise(ex.text)
        if not tokens:
            continue
        tags = t.tag(tagger.featurise(ex.text, tokens, tagger.lower_style(ex.text)))
        lex = tagger.lexicon()
        # As the redactor uses it: words that cannot be names are trimmed off (tagger._trim).
        spans = [sp for sp in (tagger._trim(ex.text, a, b, lex) for a, b in tagger._label_spans(tokens, tags, ex.text)) if sp]
        for s, e in ex.spans:
            labelled += 1
            covered = all(any(a <= tok[0] and tok[1] <= b for a, b in spans) for tok in tokens if s <= tok[0] and tok[1] <= e and tok[2].isalpha())
            if covered:
                found += 1
            else:
                misses.append(f"miss {ex.text[s:e]!r} in {ex.text!r}")
        for a, b in spans:
            predicted += 1
            if any(a < e and s < b for s, e in ex.spans):
                correct += 1
            else:
                misses.append(f"false {ex.text[a:b]!r} in {ex.text!r}")
    return found / max(labelled, 1), correct / max(predicted, 1), misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="train on 80%% of templates and score the other 20%%")
    parser.add_argument("--count", type=int, default=EXAMPLES)
    parser.add_argument("--show", type=int, default=0, help="print this many development misses")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if not args.dev:
        build(args.out, SEED, args.count, read_templates())
        print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {time.perf_counter() - started:.0f} s")
        return 0
    train_templates, dev_templates = split_templates(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "dev.crfsuite"
        build(model, SEED, args.count, train_templates)
        dev = Generator(SEED + 1, dev_templates).examples(2000)
        use_training_lexicon(held_out(SEED))  # names the model never saw listed
        try:
            recall, precision, misses = score(model, dev)
        finally:
            use_shipped_lexicon()
        print(f"development (unseen templates, a quarter of names unlisted): recall {recall:.3f} precision {precision:.3f}")
        for line in misses[: args.show]:
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
