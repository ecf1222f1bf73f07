"""The state store: migrations at open, keys and collections, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect

from qa.state import StateStore, database_url, open_state
from qa.state.collections import DEFAULT_COLLECTION, add_collection, ensure_default, list_collections, remove_collection
from qa.state.db import upgrade
from qa.state.keys import active_keys, create_key, get_key, hash_secret, key_id_of, list_keys, revoke_key


def test_sqlite_is_the_default_in_the_index_folder(settings, tmp_path):
    local = settings.model_copy(update={"index_dir": tmp_path / "idx", "database_url": ""})
    assert database_url(local) == f"sqlite:///{tmp_path / 'idx' / 'state.db'}"
    store = open_state(local)
    assert (tmp_path / "idx" / "state.db").is_file()
    assert open_state(local) is store  # one engine per process and URL


def test_postgres_urls_use_psycopg_3(settings):
    remote = settings.model_copy(update={"database_url": "postgresql://u:p%40ss@db:5432/qa"})
    assert database_url(remote) == "postgresql+psycopg://u:p%40ss@db:5432/qa"


def test_migrations_create_the_tables_once(state_settings):
    store = StateStore(database_url(state_settings))
    try:
        tables = set(inspect(store.engine).get_table_names())
        assert {"api_keys", "collections", "alembic_version"} <= tables
        upgrade(store.engine)  # a second start (or a second replica) changes nothing
        assert set(inspect(store.engine).get_table_names()) == tables
    finally:
        store.close()


def test_keys_are_stored_hashed_and_revocable(state_settings):
    store = StateStore(database_url(state_settings))
    expiry = datetime.now(UTC) + timedelta(hours=1)
    try:
        with store.session() as session:
            new = create_key(
                session,
                scopes=["search", "ask", "search"],
                name="site A",
                collections=["default"],
                origins=["https://a.example"],
                rate_per_minute=30,
                expires_at=expiry,
            )
        assert key_id_of(new.secret) == new.key.id
        with store.session() as session:
            row = get_key(session, new.key.id)
            assert row.secret_hash == hash_secret(new.secret)
            assert new.secret not in repr(vars(row))
            assert row.scopes == ["ask", "search"] and row.collections == ["default"]
            assert row.expires_at == expiry and row.expires_at.tzinfo is not None
            assert [k.id for k in active_keys(session)] == [new.key.id]
            assert [k.id for k in active_keys(session, now=expiry + timedelta(seconds=1))] == []
        with store.session() as session:
            assert revoke_key(session, new.key.id).revoked_at is not None
            assert revoke_key(session, "nope") is None
        with store.session() as session:
            assert active_keys(session) == [] and list_keys(session) == []
            assert [k.id for k in list_keys(session, include_revoked=True)] == [new.key.id]
    finally:
        store.close()


def test_collections(state_settings):
    store = StateStore(database_url(state_settings))
    try:
        with store.session() as session:
            ensure_default(session)
            ensure_default(session)
            add_collection(session, "site-b", "Site B")
        with store.session() as session:
            assert [c.name for c in list_collections(session)] == [DEFAULT_COLLECTION, "site-b"]
            assert remove_collection(session, "site-b") and not remove_collection(session, "site-b")
        for bad in ("../x", "a/b", "A", "", ".hidden", "x" * 64):
            with store.session() as session:
                try:
                    add_collection(session, bad)
                except ValueError:
                    continue
                raise AssertionError(f"{bad!r} accepted")
    finally:
        store.close()
