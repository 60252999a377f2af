"""The application factory: the web process (`survey-app serve`).

The web process holds public keys and, when configured, the case key; never the key-encryption
key. Instruments are loaded and checked here, so a malformed file stops start-up.
"""

from __future__ import annotations

from pathlib import Path

import anyio

from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from questionnaires import load_all
from survey_app.admin.controller import AdminPagesController
from survey_app.api.health import HealthController
from survey_app.api.indicators import IndicatorApiController
from survey_app.api.waves import WaveApiController
from survey_app.config import Settings
from survey_app.edi.controller import EdiController
from survey_app.ftsu.api import GuardianApiController
from survey_app.ftsu.controller import GuardianController
from survey_app.ftsu.receipt_controller import ReceiptController
from survey_app.ftsu.intake import web_case_secret
from survey_app.inbox import InboxWriter
from survey_app.open_link import OpenLinkBudget
from survey_app.outage import outage_handlers
from survey_app.ratelimit import GuessLimiter, store_for
from survey_app.respond.controller import RespondentController
from survey_app.respond.drafting import ResumeController
from survey_app.public_pages import PublicController, public_exception_handlers
from survey_app.static_assets import AssetController, asset_url
from survey_app.security_headers import security_headers_middleware
from survey_app.staff.controller import AdminController, StaffController
from survey_app.staff.refusals import audit_refusals_middleware
from survey_app.staff.session import SESSION_STORE, session_store, staff_middleware
from survey_app.storage.database import engine_for
from survey_app.spent_visits import SpentVisits
from survey_app.submissions import VisitTokens
from survey_app.wave_names import long_date
from survey_app.waves import PublishedWaves

PACKAGE = Path(__file__).parent
STATIC = PACKAGE / "static"


def configure_templates(engine: JinjaTemplateEngine) -> None:
    environment = engine.engine
    environment.loader = ChoiceLoader(
        [FileSystemLoader(PACKAGE / "templates"), PackageLoader("nhsuk_frontend_jinja", "templates")]
    )
    environment.undefined = ChainableUndefined
    environment.trim_blocks = True
    environment.lstrip_blocks = True
    environment.filters["long_date"] = long_date  # "3 March 2026": dates as people write them
    environment.globals["asset"] = asset_url  # fingerprinted static files (survey_app/static_assets.py)


async def _flush_refusals(app: Litestar) -> None:
    await anyio.to_thread.run_sync(app.state.open_link_budget.flush)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    instruments = load_all()
    engine = engine_for(settings.database_url)
    published_waves = PublishedWaves(engine)
    # Counters shared by every replica through Redis when REDIS_URL is set (survey_app/ratelimit.py).
    limits = store_for(settings.redis_url)
    budget = OpenLinkBudget(limits, settings.open_link_budget, engine)
    state = State(
        {
            "settings": settings,
            "engine": engine,
            "instruments": instruments,
            "published_waves": published_waves,
            # A submission that finds its wave's inbox epoch has moved on refreshes the cache.
            "inbox_writer": InboxWriter(engine, on_new_epoch=published_waves.forget),
            "visit_tokens": VisitTokens(web_case_secret(settings)),
            "spent_visits": SpentVisits(engine),
            "receipt_limiter": GuessLimiter(limits, "receipt", settings.receipt_guesses_per_minute),
            "draft_limiter": GuessLimiter(limits, "draft", settings.receipt_guesses_per_minute),
            "staff_limiter": GuessLimiter(limits, "staff", settings.receipt_guesses_per_minute),
            "open_link_budget": budget,
        }
    )
    return Litestar(
        route_handlers=[
            HealthController,
            PublicController,
            AssetController,
            WaveApiController,
            # Respondent routes (no session, no cookie): the survey, and /receipt for a guardian's replies.
            ResumeController,
            RespondentController,
            ReceiptController,
            # Sessions and CSRF apply to staff routes only: respondent routes never set a cookie.
            Router(path="/", route_handlers=[StaffController, AdminController, AdminPagesController, EdiController, IndicatorApiController, GuardianController, GuardianApiController], middleware=[*staff_middleware(settings), audit_refusals_middleware]),
            create_static_files_router(path="/static", directories=[STATIC], name="static"),
        ],
        state=state,
        stores={SESSION_STORE: session_store(settings)},
        template_config=TemplateConfig(
            directory=PACKAGE / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=configure_templates,
        ),
        openapi_config=OpenAPIConfig(
            title="survey_app",
            version="1",
            path="/schema",
            description="Anonymous NHS staff survey: respondent API and staff reporting API.",
        ),
        request_max_body_size=settings.max_body_bytes,
        middleware=[security_headers_middleware],
        # The database not answering is a 503 with Retry-After, never a bare 500 (survey_app/outage.py).
        exception_handlers={**public_exception_handlers(), **outage_handlers()},
        # Refusals over the open-link budget counted here reach the database before the process ends.
        on_shutdown=[_flush_refusals],
        debug=False,
    )
