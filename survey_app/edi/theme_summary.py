"""The table at the top of the themes page: every theme in one line, before the detail.

A long themes page is read from its summary: each theme's name (a link to its section), whether it
was found in the testimonies or guided by the strategy's themes, how many testimonies it holds and
their share of all the wave's released testimonies. A withheld theme (fewer than `min_cell`
testimonies) shows its name and that wording only, exactly as its section does: no count, no share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

HEAD = [
    {"text": "Theme"},
    {"text": "Found how"},
    {"text": "Testimonies", "format": "numeric"},
    {"text": "Share of all testimonies", "format": "numeric"},
]


def kind_words(kind: str) -> str:
    return "Guided by the strategy's themes" if kind == "guided" else "Found in the testimonies"


def themes_summary(theme_set: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    """One row per theme, in the page's order, in HEAD's columns."""
    total = theme_set["testimonies"]
    wording = f"fewer than {theme_set['min_cell']} testimonies"
    rows = []
    for theme in theme_set["themes"]:
        name = {"html": Markup('<a href="#{}">{}</a>').format(theme["id"], theme["label"])}
        if theme["withheld"] or theme["count"] is None:
            rows.append([name, {"text": kind_words(theme["kind"])}, {"text": wording}, {"text": "–"}])
            continue
        share = f"{100 * theme['count'] / total:.0f}%" if total else "–"
        rows.append(
            [name, {"text": kind_words(theme["kind"])}, {"text": f"{theme['count']:,}", "format": "numeric"},
             {"text": share, "format": "numeric"}]
        )
    return rows
