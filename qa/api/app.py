"""The FastAPI application: routers, error handlers, and background loading of the index."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from qa import __version__
from qa.api.errors import install_error_handlers
from qa.api.routes import health, passages, search
from qa.service import ServiceHolder
from qa.settings import Settings, get_settings


def create_app(settings: Settings | None = None, holder: ServiceHolder | None = None) -> FastAPI:
    settings = settings or get_settings()
    holder = holder or ServiceHolder(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if holder.service is None and holder._thread is None:
            holder.start()
        yield

    app = FastAPI(
        title="qa — bilingual search with citations",
        version=__version__,
        description="Ask in 中文 or English; get cited paragraphs in both languages.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.holder = holder
    install_error_handlers(app)
    for module in (search, passages, health):
        app.include_router(module.router)
    return app
