"""The named tree every test can use: 毕节市妇联 with 七星关区 and its sibling 大方县."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import Org
from tests.browser import browser, new_page  # noqa: F401 - registers the browser fixtures for every test module
from tests.factories import UserFactory, make_org


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path_factory):
    """Nothing a test stores lands in var/: media (photos, attachments) and kept import uploads
    go to a fresh folder of pytest's own."""
    root = tmp_path_factory.mktemp("var")
    settings.VAR_DIR = root
    settings.MEDIA_ROOT = root / "media"
    settings.UPLOADS_DIR = root / "uploads"
    settings.CARE_KEYS_FILE = root / "care-keys.json"


@pytest.fixture(autouse=True)
def _unscoped_setup():
    """Test bodies set up data freely; requests still run in the user's scope (middleware)."""
    with scopes_disabled():
        yield


@pytest.fixture
def tree(db):
    city = make_org("毕节市妇联", Org.Kind.CITY, code="520500")
    qxg = make_org("七星关区妇联", Org.Kind.COUNTY, city, code="520502")
    dafang = make_org("大方县妇联", Org.Kind.COUNTY, city, code="520521")
    qxg_town = make_org("七星关区市西街道妇联", Org.Kind.TOWNSHIP, qxg, code="520502001")
    dafang_town = make_org("大方县大方镇妇联", Org.Kind.TOWNSHIP, dafang, code="520521100")
    office = make_org("办公室", Org.Kind.DEPARTMENT, city)
    return SimpleNamespace(city=city, qxg=qxg, dafang=dafang, qxg_town=qxg_town, dafang_town=dafang_town, office=office)


@pytest.fixture
def users(tree):
    return SimpleNamespace(
        city_admin=UserFactory(username="city_admin", full_name="市妇联管理员", org=tree.city, is_org_admin=True),
        city_reviewer=UserFactory(username="city_reviewer", full_name="市妇联审核员", org=tree.city, is_reviewer=True),
        qxg_liaison=UserFactory(username="qxg_liaison", full_name="七星关联络员", org=tree.qxg, is_liaison=True),
        qxg_admin=UserFactory(username="qxg_admin", full_name="七星关管理员", org=tree.qxg, is_org_admin=True),
        dafang_liaison=UserFactory(username="dafang_liaison", full_name="大方联络员", org=tree.dafang, is_liaison=True),
        dafang_admin=UserFactory(
            username="dafang_admin", full_name="大方管理员", org=tree.dafang, is_org_admin=True, is_reviewer=True
        ),
    )


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="jinguo.accounts.backends.ModelBackend")
    return client


@pytest.fixture
def client_for():
    return login
