"""The FastAPI application: routers, error handlers, and background loading of the index."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from qa import __version__
from qa.api import metrics
from qa.api.errors import install_error_handlers
from qa.api.middleware import install_middleware
from qa.api.policy import PolicyTable
from qa.api.reloader import IndexReloader
from qa.api.routes import admin, ask, docs, documents, health, passages, search, widget
from qa.service import ServiceHolder
from qa.settings import Settings, get_settings


def create_app(settings: Settings | None = None, holder: ServiceHolder | None = None) -> FastAPI:
    settings = settings or get_settings()
    holder = holder or ServiceHolder(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Jobs first: a job a crash interrupted is rolled back before the index is opened.
        documents.start_jobs(app)
        if not holder.started:
            holder.start()
        app.state.reloader.start()  # picks up new index versions (QA_RELOAD_POLL_SECONDS)
        yield
        app.state.reloader.stop()

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
    # Read by the middleware before a body is: who may call a route, what it costs.
    app.state.policies = PolicyTable([])
    install_error_handlers(app)
    install_middleware(app, settings)
    for module in (search, ask, passages, documents, health, widget, admin, metrics, docs):
        app.include_router(module.router)
        app.state.policies.add(module.router.routes)
    return app
