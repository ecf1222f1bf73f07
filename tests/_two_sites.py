"""Two sites on one server: a collection per site, each holding one encyclopedia article, and a
widget key per site limited to its collection and its page's origin.

Shared by the HTTP test (tests/state/test_two_sites.py) and the real-Chromium one
(tests/browser/test_widget_two_sites.py), which pass their own client (a TestClient, or an
httpx.Client with a base_url: both post the same way).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.service import open_service
from qa.settings import Settings
from qa.store.collections import collection_root
from tests._apps import app_with

ENCYCLOPEDIA = Path(__file__).parent / "data" / "encyclopedia"
QUESTIONS = ENCYCLOPEDIA / "questions.jsonl"
# The server's own `default` collection, which neither site key may read.
DEFAULT_ARTICLE = "violin"
# collection → its one article (doc_id = the article's slug); subjects far apart on purpose.
SITES = {"site-a": "giant-panda", "site-b": "titanium"}
WIDGET_SCOPES = ["search", "ask", "documents:read"]


@dataclass(frozen=True)
class Site:
    collection: str
    doc_id: str
    origin: str
    key: str

    def headers(self) -> dict[str, str]:
        """What the site's widget sends: its key, from its own page."""
        return {"X-API-Key": self.key, "Origin": self.origin}


def copy_article(slug: str, folder: Path) -> Path:
    """Put an encyclopedia article (its .en and .zh files, one document) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "zh"):
        shutil.copy(ENCYCLOPEDIA / f"{slug}.{lang}.txt", folder)
    return folder


def one_article_app(settings: Settings, encoder: Any, root: Path, admin_key: str) -> tuple[Settings, Any]:
    """(settings, app) of a server whose `default` collection holds DEFAULT_ARTICLE only."""
    mine = settings.model_copy(
        update={"corpus_dir": copy_article(DEFAULT_ARTICLE, root / "corpus"), "index_dir": root / "index"}
    )
    service = open_service(mine, progress=False, encoder=encoder)
    return mine, app_with(mine, service, database_url="", admin_keys=[admin_key])


def open_sites(client: Any, admin_headers: dict[str, str], index_dir: Path, origins: list[str]) -> list[Site]:
    """Create each site's collection with its article and a widget key for it, from `origins[i]`.

    The article is copied before any request reads the collection, so its first use builds it."""
    sites = []
    for (collection, slug), origin in zip(SITES.items(), origins, strict=True):
        created = client.post("/v1/collections", headers=admin_headers, json={"name": collection, "title": slug})
        assert created.status_code == 201, created.text
        copy_article(slug, collection_root(Settings(index_dir=index_dir), collection) / "corpus")
        key = client.post(
            "/v1/admin/keys",
            headers=admin_headers,
            json={"name": collection, "scopes": WIDGET_SCOPES, "collections": [collection], "origins": [origin]},
        )
        assert key.status_code == 201, key.text
        sites.append(Site(collection, slug, origin, key.json()["key"]))
    return sites


def questions_about(slug: str) -> list[dict]:
    """The answerable questions of questions.jsonl on one article (each with its gold quotes)."""
    with QUESTIONS.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return [row for row in rows if row["id"].startswith(f"enc-{slug}-p") and row["gold"]]
