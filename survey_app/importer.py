"""`survey-app import`: paper returns typed into a spreadsheet, into a wave opened with --allow-import.

The file is CSV (comma-separated, UTF-8; Excel's "CSV UTF-8" with its byte-order mark is fine):

- the first row names the columns, one per question id of the wave's instrument (`q14a`, `q16c`,
  `tw_worker_type`, ..., in any case); columns may come in any order and questions may be left out;
- each further row is one returned questionnaire; a cell holds the option code the respondent
  ticked (`2`; `02` means the same), a blank cell means "not answered";
- a multiple-choice cell holds its codes separated by semicolons (`1;6`);
- a free-text cell holds the text as written;
- completely blank rows are skipped; spaces around a cell are ignored;
- a line break inside a cell must be inside double quotes, as spreadsheets write it: a lone carriage
  return or line feed outside quotes (a stray one in a CRLF file split one row in two) is refused with
  its line, so a row never becomes two responses;
- a file whose content was already imported into the wave is refused unless `--again`: the wave keeps a
  keyed hash of each imported file's content (HMAC under a key derived from the case key), no name, no date;
- on an invited wave each row goes in with a ballot of its own, as if its code had been spent: the
  paper return is the invitation.

Every row is checked against the wave's instrument (codes, routing, required questions, lengths)
before anything is stored. If any row is wrong, nothing of the file is stored and the error lists
each problem by line as a spreadsheet shows it (the header is line 1). Otherwise all rows go, in one
transaction, through the same inbox and mixer as web responses.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from questionnaires import Instrument, Question, strip_bidi_controls, validate_answers
from survey_app.audit import record_audit
from survey_app.inbox import submit_response
from survey_app.sealing import derive_key
from survey_app.submissions import FLAG_BALLOT, VisitTokens
from survey_app.storage.models import ImportedFile
from survey_app.waves import find_published_wave, find_wave

MULTIPLE_CODE_SEPARATOR = ";"
# Enough to find the pattern in a badly typed file without burying the message.
MOST_PROBLEMS_LISTED = 50
CODE_PATTERN = re.compile(r"^[0-9]+$")
HEADER_LINE = 1


class ImportError_(Exception):  # noqa: N801 - the builtin ImportError means something else
    """The file was refused; nothing of it was stored. The message says why, line by line."""

    def __init__(self, message: str, problems: list[RowProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class RowProblem:
    line: int
    question: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.question}" if self.question else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class ImportReport:
    wave: str
    file: str
    rows_imported: int
    blank_rows_skipped: int

    @property
    def rows_read(self) -> int:
        return self.rows_imported + self.blank_rows_skipped

    def describe(self) -> str:
        return (
            f"{self.file}: read {self.rows_read} rows after the header; stored {self.rows_imported} responses "
            f"in {self.wave}; skipped {self.blank_rows_skipped} blank rows. They wait in the inbox for the mixer"
        )


@dataclass(frozen=True)
class ReturnRow:
    line: int
    answers: dict[str, Any]


def stray_line_breaks(text: str) -> list[int]:
    """Lines (1-based) on which a line break outside quotes differs from the file's own line ending:
    a lone CR in a CRLF or LF file, or a lone LF in a CRLF file. Each would split one row into two."""
    ending: str | None = None
    quoted = False
    line = 1
    stray: list[int] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            quoted = not quoted  # a doubled quote inside quotes toggles twice: no change
        elif char in "\r\n":
            found = "\r\n" if text.startswith("\r\n", i) else char
            if not quoted:
                if ending is None:
                    ending = found
                elif found != ending:
                    stray.append(line)
            i += len(found)
            line += 1
            continue
        i += 1
    return stray


def _read_text(path: Path) -> str:
    try:
        # utf-8-sig drops the byte-order mark Excel writes.
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(f"{path.name} is not UTF-8 text: save it from the spreadsheet as 'CSV UTF-8'") from None


def _read_rows(path: Path, text: str) -> list[list[str]]:
    stray = stray_line_breaks(text)
    if stray:
        shown = ", ".join(map(str, stray[:MOST_PROBLEMS_LISTED]))
        raise ImportError_(
            f"{path.name}: nothing was imported, because a line break outside quotes on line(s) {shown} would "
            "split a row in two (a stray carriage return or line feed). Remove it, or put the cell in double quotes.",
            [RowProblem(line, None, "line break outside quotes") for line in stray],
        )
    try:
        # newline="" semantics: csv handles the line breaks, including those inside quoted cells.
        return [[strip_bidi_controls(cell).strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as error:
        raise ImportError_(f"{path.name} is not a readable CSV file: {error}") from None


def _parse_cell(question: Question, cell: str) -> tuple[Any, str | None]:
    """The answer a cell holds (None for blank) and what is wrong with it, if anything."""
    if cell == "":
        return None, None
    if question.is_free_text:
        return cell, None
    if question.type == "multiple":
        pieces = [piece.strip() for piece in cell.split(MULTIPLE_CODE_SEPARATOR)]
        pieces = [piece for piece in pieces if piece]
        bad = [piece for piece in pieces if not CODE_PATTERN.match(piece)]
        if bad:
            return None, (
                f"{bad[0]!r} is not an option code; separate several codes with '{MULTIPLE_CODE_SEPARATOR}'"
            )
        return ([int(piece) for piece in pieces] or None), None
    if not CODE_PATTERN.match(cell):
        hint = ""
        if MULTIPLE_CODE_SEPARATOR in cell:
            hint = f" (one code only: '{MULTIPLE_CODE_SEPARATOR}' is for multiple-choice questions)"
        return None, f"{cell!r} is not an option code{hint}"
    return int(cell), None


def _columns(
    header: list[str], rows: list[list[str]], instrument: Instrument
) -> tuple[list[Question | None], list[RowProblem]]:
    """The question of each column (None for an unnamed, empty column) and any header problems."""
    questions = instrument.questions
    problems: list[RowProblem] = []
    columns: list[Question | None] = []
    seen: set[str] = set()
    for index, name in enumerate(header):
        if name == "":
            used = any(index < len(row) and row[index] for row in rows)
            if used:
                problems.append(RowProblem(HEADER_LINE, None, f"column {index + 1} has values but no question id"))
            columns.append(None)
            continue
        if name in seen:
            problems.append(RowProblem(HEADER_LINE, name, "this column appears twice"))
        seen.add(name)
        question = questions.get(name)
        if question is None:
            problems.append(
                RowProblem(HEADER_LINE, name, f"not a question of {instrument.id} as this wave opened it")
            )
        columns.append(question)
    return columns, problems


def _check_row(
    line: int, cells: list[str], columns: list[Question | None], instrument: Instrument
) -> tuple[dict[str, Any], list[RowProblem]]:
    problems: list[RowProblem] = []
    if len(cells) > len(columns) and any(cells[len(columns):]):
        problems.append(RowProblem(line, None, f"has values beyond the last of the {len(columns)} named columns"))
    answers: dict[str, Any] = {}
    for question, cell in zip(columns, cells):
        if question is None:
            continue
        value, problem = _parse_cell(question, cell)
        if problem:
            problems.append(RowProblem(line, question.id, problem))
        elif value is not None:
            answers[question.id] = value
    clean, errors = validate_answers(instrument, answers)
    unparsed = {problem.question for problem in problems}
    for question_id, reason in errors.items():
        if question_id in unparsed:
            continue  # already reported as an unreadable cell
        if question_id not in answers:
            reason = "required, but the cell is blank or the column is missing"
        problems.append(RowProblem(line, question_id, reason))
    return clean, problems


def read_returns(path: Path, instrument: Instrument, text: str | None = None) -> tuple[list[ReturnRow], int]:
    """Every non-blank row of the file as checked answers, and how many blank rows were skipped.

    Raises ImportError_ listing every problem if any row (or the header) is wrong.
    """
    rows = _read_rows(path, _read_text(path) if text is None else text)
    if not rows or not any(rows[0]):
        raise ImportError_(f"{path.name} is empty: the first line must name the questions, one column each")
    # Question ids are lowercase; a spreadsheet user may well have typed Q14A.
    header, body = [name.lower() for name in rows[0]], rows[1:]
    # Header problems do not stop the rows being checked: the operator sees everything in one go.
    columns, problems = _columns(header, body, instrument)
    returns: list[ReturnRow] = []
    blank = 0
    for line, cells in enumerate(body, start=HEADER_LINE + 1):
        if not any(cells):
            blank += 1
            continue
        answers, row_problems = _check_row(line, cells, columns, instrument)
        problems.extend(row_problems)
        returns.append(ReturnRow(line, answers))
    if problems:
        raise ImportError_(_refusal(path, problems), problems)
    if not returns:
        raise ImportError_(f"{path.name} has a header but no responses: nothing was imported")
    return returns, blank


def _refusal(path: Path, problems: list[RowProblem]) -> str:
    lines = [str(line) for line in sorted({problem.line for problem in problems})]
    if len(lines) > MOST_PROBLEMS_LISTED:
        lines = [*lines[:MOST_PROBLEMS_LISTED], "..."]
    listed = [f"  {problem}" for problem in problems[:MOST_PROBLEMS_LISTED]]
    if len(problems) > MOST_PROBLEMS_LISTED:
        listed.append(f"  ... and {len(problems) - MOST_PROBLEMS_LISTED} more problems")
    return "\n".join(
        [
            f"{path.name}: nothing was imported, because {len(problems)} problem(s) were found "
            f"on line(s) {', '.join(lines)}:",
            *listed,
            "Correct the file and import the whole file again.",
        ]
    )


def fingerprint(case_secret: bytes, wave_id: str, content: bytes) -> bytes:
    """What the wave keeps of an imported file: a keyed hash of its content, nothing else."""
    key = derive_key(case_secret, "survey_app import fingerprint")
    return hmac.new(key, wave_id.encode() + b"\x00" + content, hashlib.sha256).digest()


def import_csv(engine: Engine, wave_slug: str, path: Path, case_secret: bytes, again: bool = False) -> ImportReport:
    """Import paper returns from a CSV file into an open wave opened with --allow-import.

    All or nothing: every row is checked first, then all are stored in one transaction. A file whose
    content this wave has already imported is refused unless `again`.
    """
    with engine.connect() as connection:
        wave = find_wave(connection, wave_slug)
        published = find_published_wave(connection, wave_slug)
    if wave is None:
        raise ImportError_(f"no wave {wave_slug!r}")
    if not wave.is_open or published is None:
        raise ImportError_(f"wave {wave_slug!r} is closed: paper returns can only go into an open wave")
    if not wave.allow_import:
        raise ImportError_(
            f"wave {wave_slug!r} was not opened with --allow-import, so it takes no imported returns; "
            "open a wave with 'survey-app wave open ... --allow-import' for paper returns"
        )
    content = path.read_bytes()
    returns, blank = read_returns(path, published.instrument, _read_text(path))
    seen = fingerprint(case_secret, wave.id, content)
    with engine.begin() as connection:
        already = connection.execute(
            select(ImportedFile.fingerprint).where(ImportedFile.wave_id == wave.id, ImportedFile.fingerprint == seen)
        ).first()
        if already is not None and not again:
            raise ImportError_(
                f"{path.name}: this wave has already imported a file with exactly this content, so nothing was "
                "imported again. If these are really new returns, run the import again with --again"
            )
        if already is None:
            connection.execute(insert(ImportedFile).values(wave_id=wave.id, fingerprint=seen))
        # On an invited wave each paper return is its own ballot, as a spent code would give on the web:
        # the mixer keeps a response only with a ballot this server made (survey_app/invitations).
        ballots = VisitTokens(case_secret) if published.invited else None
        for row in returns:
            ballot = ballots.issue(wave.id, FLAG_BALLOT) if ballots is not None else None
            if not submit_response(connection, published, row.answers, submission=ballot):
                # Raising rolls back every row already submitted: all or nothing.
                raise ImportError_(f"wave {wave_slug!r} closed during the import: nothing was imported")
        record_audit(connection, "cli", "import", wave=wave_slug, rows=len(returns), file=path.name)
    return ImportReport(wave=wave_slug, file=path.name, rows_imported=len(returns), blank_rows_skipped=blank)
