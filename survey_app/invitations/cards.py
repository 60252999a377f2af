"""What `invitations issue` writes: a CSV for a mail merge or an SMS tool, or printable A4 cards.

Many bank and ward staff have no work email, so a bank office or a ward manager hands out cards.
Each card has the link with its code, the code to type if the link is not used, a QR code of the link
(drawn by segno), and one line on why the code is safe to use. Eight cards fit an A4 sheet, cut along
the dashed lines. The file is plain HTML and needs nothing from any other host, so it prints offline.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from urllib.parse import quote

import segno
from markupsafe import Markup, escape

from survey_app.invitations.codes import display

ANONYMITY_LINE = (
    "The code shows you were invited and can be used once. It is not kept with your answers, "
    "so no one can tell which answers are yours."
)
CARDS_PER_SHEET = 8


def invitation_link(base_url: str, wave_slug: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/s/{quote(wave_slug)}?code={code}"


def as_csv(base_url: str, wave_slug: str, codes: Sequence[str]) -> str:
    """One row per code: the code as people type it, and the link that carries it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["code", "link"])
    for code in codes:
        writer.writerow([display(code), invitation_link(base_url, wave_slug, code)])
    return out.getvalue()


def qr_svg(link: str) -> Markup:
    # Medium error correction survives a crease or a smudge on a printed card.
    # omitsize: a viewBox and no fixed size, so the stylesheet scales the code rather than cropping it.
    return Markup(
        segno.make(link, error="m").svg_inline(scale=4, border=2, omitsize=True, title="QR code of the link on this card")
    )


STYLE = """
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { margin: 0; font-family: Arial, Helvetica, sans-serif; color: #212b32; }
.sheet { display: grid; grid-template-columns: 1fr 1fr; gap: 0; width: 190mm; page-break-after: always; break-after: page; }
.sheet:last-child { page-break-after: auto; break-after: auto; }
.card { height: 69mm; padding: 4mm; border: 1px dashed #768692; display: grid;
        grid-template-columns: 1fr 30mm; gap: 3mm; overflow: hidden; break-inside: avoid; }
.card h2 { font-size: 11pt; margin: 0 0 1.5mm; }
.card p { font-size: 8.5pt; margin: 0 0 1.5mm; line-height: 1.25; }
.card .code { font-family: "Courier New", monospace; font-size: 14pt; font-weight: bold; letter-spacing: 0.5mm; margin: 1mm 0 1.5mm; }
.card .link { font-size: 7pt; word-break: break-all; }
.card .qr svg { width: 30mm; height: 30mm; display: block; }
.card .safe { font-size: 7.5pt; color: #4c6272; margin: 0; }
@media screen { body { padding: 10mm; background: #f0f4f5; } .sheet { background: #fff; margin-bottom: 10mm; } }
"""


def as_html(base_url: str, wave_slug: str, organisation: str, survey_title: str, codes: Sequence[str]) -> str:
    """Printable A4 sheets of invitation cards, eight to a sheet."""
    cards = []
    for code in codes:
        link = invitation_link(base_url, wave_slug, code)
        cards.append(
            Markup(
                '<section class="card" aria-label="Invitation">'
                "<div><h2>{title}</h2><p>{organisation} invites you to answer this survey.</p>"
                "<p>Scan the QR code, or go to the link and type your code:</p>"
                '<p class="code">{code}</p><p class="link">{link}</p>'
                '<p class="safe">{safe}</p></div>'
                '<div class="qr">{qr}</div></section>'
            ).format(
                title=survey_title,
                organisation=organisation,
                code=display(code),
                link=link,
                safe=ANONYMITY_LINE,
                qr=qr_svg(link),
            )
        )
    sheets = [
        Markup('<div class="sheet">{}</div>').format(Markup("").join(cards[start : start + CARDS_PER_SHEET]))
        for start in range(0, len(cards), CARDS_PER_SHEET)
    ]
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(survey_title)}: invitation cards</title>'
        f"<style>{STYLE}</style></head><body>" + "".join(sheets) + "</body></html>\n"
    )
