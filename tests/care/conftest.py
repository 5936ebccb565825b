"""Care registry fixtures: caseworkers on both sides of the tree and people with known numbers."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from jinguo.care import services
from jinguo.care.models import Category
from jinguo.lib.idnumbers import make_id_number
from tests.factories import UserFactory

# Synthetic numbers (valid check digits) and phones that no test data elsewhere holds.
QXG_ID = make_id_number("52050219850312402")
QXG_PHONE = "13912341234"
DAFANG_ID = make_id_number("52052119900101224")
DAFANG_PHONE = "13787654321"


@pytest.fixture(autouse=True)
def _categories(request):
    """The migration's categories, again if a transactional test elsewhere flushed them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db" if marker and marker.kwargs.get("transaction") else "db")
    services.ensure_default_categories()


@pytest.fixture
def care(tree, users):
    return SimpleNamespace(
        qxg=UserFactory(username="qxg_care", full_name="七星关关爱", org=tree.qxg, is_care_worker=True),
        qxg_town=UserFactory(username="qxg_town_care", full_name="市西关爱", org=tree.qxg_town, is_care_worker=True),
        dafang=UserFactory(username="dafang_care", full_name="大方关爱", org=tree.dafang, is_care_worker=True),
        city_admin=UserFactory(
            username="city_care_admin", full_name="市关爱管理员", org=tree.city, is_org_admin=True, is_care_worker=True
        ),
        qxg_admin=UserFactory(
            username="qxg_care_admin",
            full_name="七星关关爱管理员",
            org=tree.qxg,
            is_org_admin=True,
            is_care_worker=True,
        ),
    )


def category(name: str) -> Category:
    return Category.objects.get(name=name)


def consent(given_by: str = "本人", relation: str = "本人", **kw) -> services.ConsentInput:
    return services.ConsentInput(given_by=given_by, relation=relation, given_on=dt.date(2023, 3, 1), **kw)


def register(by, org, *, name="张小芳", id_number="", phone="", categories=("低收入妇女",), **kw):
    kw.setdefault("consent", consent(name))
    if not id_number:
        kw.setdefault("birth_date", dt.date(1980, 5, 6))
        kw.setdefault("sex", "F")
    return services.register_person(
        by=by,
        org=org,
        name=name,
        id_number=id_number,
        phone=phone,
        categories=[category(c) for c in categories],
        **kw,
    )


@pytest.fixture
def people(tree, care):
    qxg = register(
        care.qxg_town, tree.qxg_town, name="张小芳", id_number=QXG_ID, phone=QXG_PHONE, health="乳腺癌术后康复期"
    )
    dafang = register(care.dafang, tree.dafang_town, name="李秀英", id_number=DAFANG_ID, phone=DAFANG_PHONE)
    return SimpleNamespace(qxg=qxg, dafang=dafang)


def xlsx(header, rows) -> bytes:
    import io

    from jinguo.lib.excel import build_workbook

    buf = io.BytesIO()
    build_workbook([("关爱对象", header, rows)]).save(buf)
    return buf.getvalue()
