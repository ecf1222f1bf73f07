"""Build an app around the session's already-loaded service with some settings changed."""

from __future__ import annotations

from fastapi import FastAPI

from qa.api.app import create_app
from qa.service import Service, ServiceHolder
from qa.settings import Settings


def app_with(settings: Settings, service: Service, **changes) -> FastAPI:
    """A fresh app (own middleware state) serving `service`; no index watcher unless asked."""
    changes.setdefault("reload_poll_seconds", 0)
    changed = settings.model_copy(update=changes)
    holder = ServiceHolder(changed)
    holder.service = service
    holder.ready.set()
    return create_app(changed, holder)
