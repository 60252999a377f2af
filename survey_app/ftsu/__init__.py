"""Freedom to Speak Up: concerns shared with guardians, their drops, cases and anonymous replies.

receipts.py (the receipt words and their keyed hashes), intake.py (sharing at submission),
cases.py (sealed cases, drops, expiry, changes),
controller.py (the guardian's workspace at /ftsu), receipt_controller.py (the respondent's /receipt;
guessing is limited by survey_app/ratelimit.py).
"""
