"""Environment keys (API, widget with its origin allowlist, admin) and per-client rate limits.

Stored keys and visitor tokens: tests/state/test_keys_api.py."""

from __future__ import annotations

import pytest
from _apps import app_with
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from qa.api.middleware.ratelimit import TokenBuckets
from qa.api.policy import POLICY_ATTRIBUTE

API_KEY = "k-live-3f9a8c"
WIDGET_KEY = "w-public-77aa"
SEARCH = "/v1/search"
QUERY = {"query": "carbon peak", "top_k": 1}


@pytest.fixture(scope="module")
def keyed(settings, service):
    app = app_with(
        settings,
        service,
        api_keys=[API_KEY, "second-key"],
        widget_keys=[WIDGET_KEY],
        cors_origins=["https://partner.example"],
        public_origins=["http://testserver"],
        metrics_public=False,
    )
    with TestClient(app) as client:
        yield client


def test_missing_key_is_401_with_bearer_challenge(keyed):
    response = keyed.post(SEARCH, json=QUERY)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "missing_api_key"
    assert "X-API-Key" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": API_KEY[:-1]},
        {"X-API-Key": API_KEY + "x"},
        {"Authorization": f"Basic {API_KEY}"},
        {"X-API-Key": "ключ".encode()},
    ],
)
def test_wrong_key_is_401(keyed, headers):
    response = keyed.post(SEARCH, json=QUERY, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("invalid_api_key", "missing_api_key")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {API_KEY}"},
        {"authorization": f"bearer {API_KEY}"},
        {"X-API-Key": API_KEY},
        {"X-API-Key": "second-key"},
    ],
)
def test_valid_key_in_either_header(keyed, headers):
    assert keyed.post(SEARCH, json=QUERY, headers=headers).status_code == 200
    assert keyed.get("/v1/documents", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/widget.js", "/", "/openapi.json"])
def test_public_paths_need_no_key(keyed, path):
    assert keyed.get(path).status_code == 200


def test_metrics_can_require_a_key(keyed, settings, service):
    assert keyed.get("/metrics").status_code == 401
    assert keyed.get("/metrics", headers={"X-API-Key": API_KEY}).status_code == 200
    with TestClient(app_with(settings, service, api_keys=[API_KEY])) as open_metrics:
        assert open_metrics.get("/metrics").status_code == 200


def test_preflight_is_not_blocked_by_keys(keyed):
    response = keyed.options(
        SEARCH,
        headers={
            "Origin": "https://partner.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key",
        },
    )
    assert response.status_code == 200


def test_widget_key_only_from_allowed_origins(keyed):
    ok = keyed.post(SEARCH, json=QUERY, headers={"X-API-Key": WIDGET_KEY, "Origin": "https://partner.example"})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://partner.example"
    same_site = keyed.post(SEARCH, json=QUERY, headers={"X-API-Key": WIDGET_KEY, "Origin": "http://testserver"})
    assert same_site.status_code == 200  # QA_PUBLIC_ORIGINS
    for origin in ("https://evil.example", "null", None):
        headers = {"X-API-Key": WIDGET_KEY} | ({"Origin": origin} if origin else {})
        refused = keyed.post(SEARCH, json=QUERY, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "origin_not_allowed"


def test_the_host_header_never_vouches_for_an_origin(settings, service):
    """A script that sets Origin and Host alike is not "the same site": only configured origins count."""
    app = app_with(settings, service, widget_keys=[WIDGET_KEY])
    with TestClient(app) as client:
        spoofed = {"X-API-Key": WIDGET_KEY, "Origin": "https://evil.example", "Host": "evil.example"}
        assert client.post(SEARCH, json=QUERY, headers=spoofed).status_code == 403
        assert (
            client.post(
                SEARCH, json=QUERY, headers=spoofed | {"Origin": "http://testserver", "Host": "testserver"}
            ).status_code
            == 403
        )


def test_401_still_carries_cors_headers(keyed):
    response = keyed.post(SEARCH, json=QUERY, headers={"Origin": "https://partner.example"})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "https://partner.example"


def test_no_keys_configured_means_open(client):
    assert client.post(SEARCH, json=QUERY).status_code == 200


def test_admin_reload_refused_without_admin_keys(keyed):
    response = keyed.post("/v1/admin/reload", headers={"X-API-Key": API_KEY})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "admin_disabled"


def test_admin_key_is_separate_from_api_keys(settings, service):
    app = app_with(settings, service, api_keys=[API_KEY], admin_keys=["adm-1"])
    with TestClient(app) as client:
        # a valid key without the scope: 403 naming the scope; no key: 401
        refused = client.post("/v1/admin/reload", headers={"X-API-Key": API_KEY})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
        assert "'admin'" in refused.json()["error"]["message"]
        assert client.post("/v1/admin/reload").status_code == 401
        response = client.post("/v1/admin/reload", headers={"Authorization": "Bearer adm-1"})
        assert response.status_code == 200
        assert response.json()["status"] == "unchanged"
        # the admin key is not an API key
        assert client.post(SEARCH, json=QUERY, headers={"X-API-Key": "adm-1"}).status_code == 403


def test_rate_limit_429_with_retry_after(settings, service):
    app = app_with(settings, service, rate_limit_per_minute=6, rate_limit_burst=3, api_keys=[API_KEY, "other"])
    with TestClient(app) as client:
        mine = {"X-API-Key": API_KEY}
        codes = [client.get("/v1/documents", headers=mine).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        limited = client.post(SEARCH, json=QUERY, headers=mine)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 10  # 6/min: one token per 10 s
        # buckets are per client: another key, and the infrastructure paths, are unaffected
        assert client.get("/v1/documents", headers={"X-API-Key": "other"}).status_code == 200
        assert client.get("/healthz").status_code == 200
        # wrong keys are throttled per IP before the key check (no free guessing)
        guesses = [client.get("/v1/documents", headers={"X-API-Key": f"guess{i}"}).status_code for i in range(5)]
        assert guesses[:3] == [401, 401, 401] and guesses[3:] == [429, 429]


def test_rate_limit_off_by_zero(settings, service):
    with TestClient(app_with(settings, service, rate_limit_per_minute=0, rate_limit_burst=1)) as client:
        assert all(client.get("/v1/documents").status_code == 200 for _ in range(5))


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_refills_at_the_configured_rate():
    clock = ManualClock()
    buckets = TokenBuckets(per_minute=60, burst=2, clock=clock)
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(1.0)
    clock.now += 0.5
    assert buckets.take("a") == pytest.approx(0.5)  # a refused request spends nothing
    clock.now += 0.5
    assert buckets.take("a") == 0
    clock.now += 3600
    assert [buckets.take("a") for _ in range(3)] == [0, 0, pytest.approx(1.0)]  # refills up to burst, no more
    assert buckets.take("b") == 0


def test_token_bucket_forgets_least_recent_clients():
    buckets = TokenBuckets(per_minute=1, burst=1, max_clients=2, clock=ManualClock())
    assert [buckets.take(client) for client in "abc"] == [0, 0, 0]  # each new client starts full
    assert buckets.take("b") > 0 and buckets.take("c") > 0
    assert buckets.take("a") == 0  # forgotten, so it starts full again


# --- the public widget key: each visitor has their own allowance, the key a ceiling ------------

PARTNER = {"Origin": "https://partner.example", "X-API-Key": WIDGET_KEY}


def widget_app(settings, service, **changes):
    return app_with(
        settings,
        service,
        widget_keys=[WIDGET_KEY],
        cors_origins=["https://partner.example"],
        rate_limit_per_minute=6,
        rate_limit_burst=2,
        **changes,
    )


def visitor(app, address: str) -> TestClient:
    """A client connecting from `address` (the peer address the server sees)."""
    return TestClient(app, client=(address, 40000))


def searches(client: TestClient, n: int, headers: dict | None = None) -> list[int]:
    return [client.post(SEARCH, json=QUERY, headers=PARTNER | (headers or {})).status_code for _ in range(n)]


def test_two_visitors_behind_one_widget_key_are_limited_separately(settings, service):
    app = widget_app(settings, service, widget_key_limit_per_minute=0)
    first, second = visitor(app, "203.0.113.10"), visitor(app, "203.0.113.20")
    assert searches(first, 3) == [200, 200, 429]
    assert searches(second, 2) == [200, 200]  # the first visitor's spending is not theirs


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_visitor(settings, service):
    app = widget_app(settings, service, widget_key_limit_per_minute=0, forwarded_allow_ips="10.0.0.1")
    proxy = visitor(app, "10.0.0.1")
    assert searches(proxy, 3, {"X-Forwarded-For": "198.51.100.7"}) == [200, 200, 429]
    assert searches(proxy, 2, {"X-Forwarded-For": "198.51.100.8"}) == [200, 200]


def test_an_untrusted_peer_cannot_choose_its_address(settings, service):
    app = widget_app(settings, service, widget_key_limit_per_minute=0, forwarded_allow_ips="10.0.0.1")
    direct = visitor(app, "203.0.113.30")
    codes = [searches(direct, 1, {"X-Forwarded-For": f"198.51.100.{i}"})[0] for i in range(3)]
    assert codes == [200, 200, 429]


def test_the_widget_key_has_its_own_ceiling_over_all_visitors(settings, service):
    app = widget_app(settings, service, widget_key_limit_per_minute=6)  # bucket of max(2, 1) = 2
    codes = [searches(visitor(app, f"203.0.113.{40 + i}"), 1)[0] for i in range(3)]
    assert codes == [200, 200, 429]
    refused = visitor(app, "203.0.113.99").post(SEARCH, json=QUERY, headers=PARTNER)
    assert "all its visitors together" in refused.json()["error"]["message"]
    assert int(refused.headers["retry-after"]) >= 1


def test_every_api_route_declares_its_policy(app):
    """The gate reads a route's policy before its body: an undeclared /v1 route would be public."""
    routes = [r for r in app.state.policies.routes if isinstance(r, APIRoute) and r.path.startswith("/v1/")]
    assert routes
    undeclared = [r.path for r in routes if getattr(r.endpoint, POLICY_ATTRIBUTE, None) is None]
    assert undeclared == []
    assert all(getattr(r.endpoint, POLICY_ATTRIBUTE).scope is not None for r in routes), "no public /v1 route"
