"""The FastAPI application: routers, error handlers, and background loading of the index."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from qa import __version__
from qa.api import metrics
from qa.api.cors import install_cors
from qa.api.errors import install_error_handlers
from qa.api.middleware import install_middleware
from qa.api.reloader import IndexReloader
from qa.api.routes import admin, ask, health, passages, search, widget
from qa.service import ServiceHolder
from qa.settings import Settings, get_settings


def create_app(settings: Settings | None = None, holder: ServiceHolder | None = None) -> FastAPI:
    settings = settings or get_settings()
    holder = holder or ServiceHolder(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
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
    )
    app.state.settings = settings
    app.state.holder = holder
    app.state.reloader = IndexReloader(holder, settings.reload_poll_seconds)
    install_error_handlers(app)
    install_middleware(app, settings)  # before CORS, so CORS stays outermost
    install_cors(app, settings)
    for module in (search, ask, passages, health, widget, admin, metrics):
        app.include_router(module.router)
    return app
