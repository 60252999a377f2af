"""The EDI dashboard: WRES indicators by ethnic group, worker type and occupation, exports and the
board report, all read from a release's published tables through `survey_app.indicators`."""
