"""Who may answer a wave: anyone with its link (within the open-link budget, survey_app/open_link.py),
or one response per single-use invitation code (survey_app/invitations). No imports, so the CLI can
offer the choice without loading the application."""

ACCESS_OPEN = "open"
ACCESS_INVITED = "invited"
ACCESS_MODES = (ACCESS_OPEN, ACCESS_INVITED)
