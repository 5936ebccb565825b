"""Every URL of the site, including the ones added after this test was written, refuses anonymous
visitors, except an explicit list of public pages. Pages redirect to the login page (or refuse the
method); API endpoints answer 401."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from jinguo.lib.scoping import _current

# Route names (namespace:name) that anyone may open.
PUBLIC = {"accounts:login", "healthz"}
# Public pages of one published quiz (taking page and its JSON API, leaderboard, big screen): the
# dummy slug names no quiz, so they answer 404 here; tests/quiz opens them with a real quiz.
PUBLIC_BY_SLUG = {
    "quiz:take",
    "quiz:public_units",
    "quiz:send_code",
    "quiz:start",
    "quiz:save",
    "quiz:submit",
    "quiz:result",
    "quiz:board",
    "quiz:screen",
    "quiz:screen_rows",
    # A contest's public submission page and its unit search (tests/contests open them with a real key).
    "contests_public:submit",
    "contests_public:units",
}
API_NAMESPACE = "api"
# django-ninja's own routes in that namespace: the docs (login required) and the root, which only
# exists so that reverse("api:api-root") works and always answers 404.
NINJA_BUILTINS = {"api:openapi-json", "api:openapi-view", "api:api-root"}

DUMMY = {"int": "1", "str": "x", "slug": "x", "uuid": str(uuid.UUID(int=1)), "path": "x"}
CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def _fill(route: str) -> str:
    def replace(match: re.Match) -> str:
        conv = match.group("conv") or "str"
        if conv not in DUMMY:
            raise AssertionError(f"No dummy value for converter <{conv}:…> in {route!r}: add one to DUMMY.")
        return DUMMY[conv]

    return CONVERTER.sub(replace, route)


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            raise AssertionError(
                f"{prefix}{entry.pattern}: only path() routes are walked; extend this test for regex ones."
            )
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from _walk(entry.url_patterns, route, f"{namespace}:{ns}".strip(":") if ns else namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}".strip(":") if entry.name else ""
            yield "/" + _fill(route), name, namespace


ALL_URLS = list(_walk(get_resolver().url_patterns))


@pytest.fixture
def no_scope():
    # An anonymous request has no scope; the tests' default of "scoping disabled" must not hide a leak.
    token = _current.set(None)
    yield
    _current.reset(token)


def test_url_walk_finds_the_known_pages():
    names = {name for _, name, _ in ALL_URLS}
    assert {"home", "healthz", "accounts:login", "accounts:users", "accounts:user_edit", "api:get_plan"} <= names
    assert len(ALL_URLS) > 20


@pytest.mark.parametrize(("url", "name", "namespace"), ALL_URLS, ids=[f"{n or u}" for u, n, _ in ALL_URLS])
def test_url_refuses_anonymous_visitors(client, tree, users, no_scope, url, name, namespace):
    response = client.get(url)
    if name in PUBLIC:
        assert response.status_code == 200, f"{url} is listed as public but answers {response.status_code}"
        return
    if name in PUBLIC_BY_SLUG:
        assert response.status_code in (404, 405), f"{url} ({name}) answers {response.status_code} for a missing quiz"
        return
    assert response.status_code != 200, f"{url} ({name}) answers 200 to an anonymous visitor"
    assert response.status_code < 500, f"{url} ({name}) fails for an anonymous visitor"
    if namespace == API_NAMESPACE and name not in NINJA_BUILTINS:
        assert response.status_code == 401, f"{url} ({name}) should answer 401, not {response.status_code}"
    elif response.status_code in (301, 302):
        assert response["Location"].startswith("/accounts/login/"), f"{url} ({name}) redirects elsewhere"
    else:
        # A view that only accepts POST refuses the GET before asking for a login; anything else is a leak.
        assert response.status_code in (401, 403, 404, 405), f"{url} ({name}) answers {response.status_code}"


def test_api_docs_and_schema_need_a_signed_in_user(client, db, no_scope):
    for url in ("/api/docs", "/api/openapi.json"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
