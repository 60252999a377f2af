"""Invitations: one response per person invited, and still nothing that says whose it is.

An open link accepts anything a script sends: ten fake answers in a small ethnic group once lifted
a cell over the publication threshold and the published counts then gave away the one real
respondent's answers. A wave opened with `--access invited` takes a response only from a visit that
spent a single-use code; the mixer keeps one response per such visit. The hard part is to do that
without the ledger of codes becoming a ledger of respondents, as it does where the token is marked
used in the transaction that stores the response (a database log then pairs them).

How a code becomes a response, and what each step leaves behind:

1. **Issue** (`survey-app invitations issue`, survey_app/invitations/ledger.py). The operator's CLI
   makes N random codes (survey_app/invitations/codes.py) and stores only HMAC(code key, wave, code),
   the key derived from the case secret, in `invitation`. The codes leave as a CSV for a mail merge
   or as printable cards (survey_app/invitations/cards.py); whoever hands them out may know which
   code went to whom, so everything below assumes the code's holder is known to the adversary.
2. **Follow the link** (GET `/s/{wave}?code=...`). The landing page shows the code in its form and
   spends nothing: mail and SMS apps fetch links to draw previews. Respondent routes write no access
   log (DESIGN.md, Rules), so the URL with the code is not logged.
3. **Start** (POST). In a transaction of its own the code's hash moves from `invitation` to
   `spent_invitation` (a DELETE whose row count is 1 wins: two concurrent uses cannot both pass).
   Only after that commits does the web process mint the visit's *ballot*: a visit token
   (survey_app/submissions.py) with its ballot flag set, 16 random bytes under a MAC only the server
   can make. The ballot is not derived from the code and is stored nowhere: it travels in the
   respondent's form from page to page (and inside a saved draft, sealed under the respondent's own
   resume code).
4. **Submit** (a later POST, another transaction). The web process requires a ballot of this wave;
   the response is sealed to the wave's current inbox epoch key with the ballot inside the sealed
   document. The API, which has one request only, spends the code and stores the response in two
   transactions of that request, in that order.
5. **Mix** (the worker). The mixer opens the epoch's rows, keeps one response per ballot (it
   remembers HMAC(wave data key, ballot) in `mixed_submission`, no date), drops any response on an
   invited wave whose ballot the server did not make, writes the parts shuffled in one transaction of
   at least MIX_BATCH responses, and destroys the epoch's private key (survey_app/epochs.py).

Why nothing pairs a code with a response, for an insider holding every key the worker and the web
process hold and every byte of the database files, WAL, backups and logs:

- The code's row says that a code was used, never by which visit: no ballot, token, time or request
  detail is written with it, and its transaction writes nothing else.
- The ballot exists in the clear only in the respondent's browser and, sealed, in the inbox row,
  which no key opens once its epoch is destroyed. `spent_visit` and `mixed_submission` hold keyed
  hashes of it that can only be tested by someone who already has the ballot; the parts never carry it.
- Order and time do not help: the spend and the store are different transactions (on the web form,
  different requests, minutes apart); inbox rows have random ids and no date; the parts of a batch
  are written in shuffled order in one transaction. Knowing the exact order in which codes were
  spent, an insider pairs a code with a part no better than one in the batch size
  (tests/survey_app/test_invitation_unlinkability.py plays that insider).

What the ledger does tell: which codes have been used. Whoever knows who holds which code learns who
has *started* the survey (the same is true of anything that counts one response per person); never
what they answered. The release report publishes only the counts (issued, used).
"""

from survey_app.invitations.codes import CodeError, display, parse
from survey_app.invitations.ledger import InvitationCounts, Spend, counts, issue, spend

__all__ = [
    "CodeError",
    "InvitationCounts",
    "Spend",
    "counts",
    "display",
    "issue",
    "parse",
    "spend",
]
