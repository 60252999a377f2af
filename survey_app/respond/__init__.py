"""Respondent pages at /s/{wave}: no cookie, no JavaScript needed, answers carried in the form."""

from litestar.types import ControllerRouterHandler

from survey_app.respond.controller import RespondentController

respondent_handlers: list[ControllerRouterHandler] = [RespondentController]

__all__ = ["RespondentController", "respondent_handlers"]
