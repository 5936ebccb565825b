"""Every read is logged (view, list/search hit, reveal, print, export, attachment); the person's log
is for care admins; unusual reading is found; audit entries never hold a clear sensitive value."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from jinguo.audit.models import AuditEntry
from jinguo.care import services
from jinguo.care.models import AccessLog, Person
from jinguo.care.selectors import unusual_reading
from tests.care.conftest import DAFANG_ID, QXG_ID, QXG_PHONE, register

pytestmark = pytest.mark.django_db


def _log(person):
    return list(AccessLog.objects.filter(person=person).order_by("pk").values_list("user__username", "action", "where"))


def test_views_searches_prints_and_exports_are_logged_with_who_and_where(people, care, client_for):
    client = client_for(care.qxg_admin)
    client.get(f"/care/{people.qxg.pk}/", REMOTE_ADDR="10.1.2.3")
    client.post("/care/", {"q": "小芳"})
    client.get(f"/care/{people.qxg.pk}/print/")
    client.post("/care/export/", {"password": "a-long-password", "reason": "报送民政复核"})
    assert _log(people.qxg) == [
        ("qxg_care_admin", "view", "care:person"),
        ("qxg_care_admin", "list", "care:people"),
        ("qxg_care_admin", "print", "care:print"),
        ("qxg_care_admin", "export", "care:export"),
    ]
    first = AccessLog.objects.filter(person=people.qxg).order_by("pk").first()
    assert (first.ip, first.user_org, first.user_name) == ("10.1.2.3", care.qxg_admin.org, "七星关关爱管理员")
    assert _log(people.dafang) == []


def test_the_access_log_page_is_for_care_admins_only(people, care, client_for):
    client_for(care.qxg_town).post(f"/care/{people.qxg.pk}/reveal/", {"field": "phone", "reason": "电话回访需要拨号"})
    assert client_for(care.qxg_town).get(f"/care/{people.qxg.pk}/access/").status_code == 403
    response = client_for(care.qxg_admin).get(f"/care/{people.qxg.pk}/access/")
    html = response.content.decode()
    assert response.status_code == 200 and "电话回访需要拨号" in html and "市西关爱" in html
    assert QXG_PHONE not in html
    assert client_for(care.city_admin).get(f"/care/{people.dafang.pk}/access/").status_code == 200


def test_unusual_reading_finds_one_user_reading_many_records_quickly(tree, care, client_for):
    many = [register(care.qxg, tree.qxg_town, name=f"对象{i}") for i in range(31)]
    reader = client_for(care.qxg_town)
    for person in many:
        reader.get(f"/care/{person.pk}/")
    client_for(care.qxg).get(f"/care/{many[0].pk}/")
    rows = unusual_reading(user=care.city_admin, since=timezone.now() - dt.timedelta(days=1))
    assert [(r.user_name, r.people) for r in rows] == [("市西关爱", 31)]
    page = client_for(care.qxg_admin).get("/care/unusual/")
    assert page.status_code == 200 and "市西关爱" in page.content.decode()
    assert client_for(care.qxg_town).get("/care/unusual/").status_code == 403
    assert client_for(care.dafang).get("/care/unusual/").status_code == 403


def test_thirty_reads_spread_over_hours_are_not_unusual(tree, care):
    person_ids = [register(care.qxg, tree.qxg_town, name=f"对象{i}") for i in range(31)]
    services.log_reads(care.qxg_town, person_ids, AccessLog.Action.VIEW)
    start = timezone.now() - dt.timedelta(hours=20)
    for i, log in enumerate(AccessLog.objects.order_by("pk")):
        AccessLog.objects.filter(pk=log.pk).update(at=start + dt.timedelta(minutes=10 * i))
    assert unusual_reading(user=care.city_admin, since=timezone.now() - dt.timedelta(days=1)) == []


def test_audit_entries_never_hold_a_clear_sensitive_value(people, care, client_for):
    client = client_for(care.qxg_town)
    client.post(
        f"/care/{people.qxg.pk}/edit/",
        {
            "name": "张小芳",
            "id_number": QXG_ID,
            "phone": "13655556666",
            "categories": [c.pk for c in people.qxg.categories.all()],
            "basis": "consent",
            "health": "宫颈癌筛查阳性",
            "address": "某村三组",
        },
    )
    entry = AuditEntry.objects.filter(action="care.person.updated").get()
    assert sorted(entry.data["fields"]) == ["address", "health", "phone"] and entry.data["values"] == "已修改"
    everything = json.dumps(list(AuditEntry.objects.values()), default=str, ensure_ascii=False)
    for value in (QXG_ID, QXG_PHONE, "13655556666", "宫颈癌", "乳腺癌", "某村三组", DAFANG_ID):
        assert value not in everything, value
    assert Person.objects.get(pk=people.qxg.pk).phone == "13655556666"


def test_reasons_in_the_access_log_are_encrypted_at_rest(people, care, client_for):
    from django.db import connection

    client_for(care.qxg_town).post(f"/care/{people.qxg.pk}/reveal/", {"field": "phone", "reason": "张小芳病情复查联系"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM care_accesslog WHERE action = 'reveal'")
        raw = cursor.fetchone()[0]
    assert "病情" not in raw and raw.startswith("k1:")


def test_error_reports_star_every_posted_value(tree, care, client_for, rf):
    import sys

    from django.views.debug import ExceptionReporter

    response = client_for(care.qxg_town).post(
        "/care/new/", {"org": tree.qxg_town.pk, "name": "王某", "id_number": QXG_ID}
    )
    request = response.wsgi_request
    assert request.sensitive_post_parameters == "__ALL__"
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        text = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert QXG_ID not in text and "王某" not in text and "********" in text


def test_person_str_and_repr_carry_no_name(people):
    assert str(people.qxg) == f"关爱对象 #{people.qxg.pk}"
    assert "张" not in repr(people.qxg)


def test_sql_logs_carry_only_ciphertext_and_digests(tree, care, client_for, settings, caplog):
    """With query logging on (DEBUG), registering, searching by ID and revealing log no clear value."""
    import logging

    from django.db import connection

    settings.DEBUG = True
    connection.force_debug_cursor = True
    try:
        with caplog.at_level(logging.DEBUG, logger="django.db.backends"):
            client = client_for(care.qxg_town)
            client.post(
                "/care/new/",
                {
                    "org": tree.qxg_town.pk,
                    "name": "王某",
                    "id_number": QXG_ID,
                    "phone": QXG_PHONE,
                    "categories": [1],
                    "basis": "duty",
                    "health": "乳腺癌",
                },  # fmt: skip
            )
            person = Person.objects.get(name="王某")
            client.post("/care/", {"q": QXG_ID})
            client.post(f"/care/{person.pk}/reveal/", {"field": "phone", "reason": "电话回访需要"})
    finally:
        connection.force_debug_cursor = False
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "INSERT INTO" in text and person.id_digest in text
    assert QXG_ID not in text and QXG_PHONE not in text and "乳腺癌" not in text and "电话回访需要" not in text


def test_refused_requests_are_logged_without_values(people, care, users, client_for, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="jinguo.care.access"):
        client_for(care.dafang).get(f"/care/{people.qxg.pk}/")
        client_for(users.qxg_liaison).get(f"/care/{people.qxg.pk}/")
        client_for(care.dafang).post(f"/care/{people.qxg.pk}/reveal/", {"field": "phone", "reason": QXG_PHONE})
    lines = [r.getMessage() for r in caplog.records if r.name == "jinguo.care.access"]
    assert lines[0].startswith(
        f"care access refused: 404 user={care.dafang.pk} unit={care.dafang.org_id} page=care:person"
    )
    assert f"ids={{'pk': {people.qxg.pk}}}" in lines[0]
    assert lines[1].startswith(f"care access refused: 403 user={users.qxg_liaison.pk}")
    assert len(lines) == 3 and all(QXG_PHONE not in line and "张小芳" not in line for line in lines)
