from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from jinguo.lib.views import int_or_none, page_of, require_viewer_org
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        ("0", 0),
        (None, None),
        ("", None),
        ("-3", None),
        (" 5", None),
        ("1.5", None),
        ("²", None),
        ("x", None),
    ],
)
def test_int_or_none_takes_only_ascii_digits(raw, expected):
    assert int_or_none(raw) == expected


@pytest.mark.parametrize(("raw", "number"), [("2", 2), ("9", 3), ("abc", 1), ("", 1)])
def test_page_of_falls_back_to_first_or_last_page(raw, number):
    page = page_of(RequestFactory().get("/", {"page": raw}), list(range(25)), 10)
    assert (page.number, list(page)) == (number, list(range(25))[(number - 1) * 10 : number * 10])


def test_viewer_org_is_the_users_unit_and_403_without_one(users):
    request = RequestFactory().get("/")
    request.user = users.qxg_liaison
    assert require_viewer_org(request) == users.qxg_liaison.org
    request.user = UserFactory(username="no_unit", org=None)
    with pytest.raises(PermissionDenied):
        require_viewer_org(request)
