"""The FastAPI application: routers, error handlers, and background loading of the index."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI

from qa import __version__
from qa.analytics.service import Analytics
from qa.api import metrics
from qa.api.analytics import open_analytics
from qa.api.deps import KEY_TOKEN_BUDGETS_STATE
from qa.api.errors import install_error_handlers
from qa.api.mcp.http import install_mcp
from qa.api.middleware import install_middleware
from qa.api.middleware.ratelimit import KeyBudgets
from qa.api.middleware.stored_keys import StoredKeys
from qa.api.policy import PolicyTable
from qa.api.reloader import IndexReloader
from qa.api.routes import (
    admin,
    admin_ui,
    analytics,
    ask,
    chat,
    collections,
    docs,
    documents,
    feedback,
    health,
    keys,
    models,
    passages,
    search,
    widget,
)
from qa.corpus.readers import Limits
from qa.service import ServiceHolder
from qa.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, holder: ServiceHolder | None = None) -> FastAPI:
    settings = settings or get_settings()
    Limits.from_settings(settings)  # an unknown QA_DOCUMENT_FORMATS stops the start, not the first upload
    holder = holder or ServiceHolder(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Jobs first: a job a crash interrupted is rolled back before the index is opened. A
        # dead database must not keep the port closed: the job routes answer 503 until it is back.
        try:
            documents.start_jobs(app)
        except Exception as exc:
            logger.warning("document jobs are off until the state store opens (%s)", exc)
        if not holder.started:
            holder.start()
        app.state.reloader.start()  # picks up new index versions (QA_RELOAD_POLL_SECONDS)
        # Opened beside the port, not before it: a slow or dead database delays nothing. Each
        # lifespan closes only what it opened (an app may be started more than once).
        opened: list[Analytics] = []

        def open_once() -> None:
            log = open_analytics(settings) if app.state.analytics is None else None
            if log is not None:
                opened.append(log)
                app.state.analytics = log

        opener = threading.Thread(target=open_once, name="qa-analytics-open", daemon=True)
        opener.start()
        yield
        app.state.reloader.stop()
        opener.join(timeout=5)
        for log in opened:
            if app.state.analytics is log:
                app.state.analytics = None
            log.close()

    app = FastAPI(
        title="qa — bilingual search with citations",
        version=__version__,
        description="Ask in 中文 or English; get cited paragraphs in both languages.",
        lifespan=lifespan,
        docs_url=None,  # served by qa.api.routes.docs from local files, not a CDN
        redoc_url=None,
        # A redirect from /path/ to /path would be built from the client's Host header: the
        # slash form is a 404 that names the right path instead.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.holder = holder
    app.state.reloader = IndexReloader(holder, settings.reload_poll_seconds)
    app.state.analytics = None
    # Read by the middleware before a body is: who may call a route, what it costs.
    app.state.policies = PolicyTable([])
    # Stored keys as the access gate and CORS see them (a snapshot at most QA_KEY_CACHE_SECONDS old).
    app.state.stored_keys = StoredKeys(settings)
    # Stored keys' own token budgets (a bucket holds at least one query's worth).
    setattr(app.state, KEY_TOKEN_BUDGETS_STATE, KeyBudgets(min_burst=settings.max_query_tokens))
    install_error_handlers(app)
    install_middleware(app, settings)
    for module in (
        search,
        ask,
        chat,
        models,
        feedback,
        passages,
        documents,
        collections,
        health,
        widget,
        admin,
        keys,
        analytics,
        admin_ui,
        metrics,
        docs,
    ):
        app.include_router(module.router)
        app.state.policies.add(module.router.routes)
    install_mcp(app, holder)
    return app
