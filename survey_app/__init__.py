"""survey_app: anonymous staff survey and lived-experience platform for NHS organisations."""
