"""Respondent pages at /s/{wave}: no cookie, no JavaScript needed, answers carried in the form."""

from litestar.types import ControllerRouterHandler

from survey_app.ftsu.receipt_controller import ReceiptController
from survey_app.respond.controller import RespondentController

# /receipt is respondent-side too (no session, no cookie): reading a guardian's replies.
respondent_handlers: list[ControllerRouterHandler] = [RespondentController, ReceiptController]

__all__ = ["RespondentController", "respondent_handlers"]
