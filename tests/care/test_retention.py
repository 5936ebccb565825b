"""Retention per category; the daily command anonymises what is due everywhere it was written."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from jinguo.audit.models import AuditEntry
from jinguo.care import services
from jinguo.care.models import AccessLog, Consent, FollowUp, HelpAttachment, HelpRecord, HouseholdMember, Person
from jinguo.care.retention import purge
from jinguo.care.services import retention_date
from jinguo.lib.idnumbers import make_id_number
from tests.care.conftest import QXG_ID, QXG_PHONE, category, consent, register

pytestmark = pytest.mark.django_db


def test_closed_adult_case_is_kept_its_categorys_years_after_closing(people, care):
    assert people.qxg.purge_on is None  # never while open
    services.close_person(people.qxg, by=care.qxg_town, reason="已就业", on=dt.date(2024, 6, 30))
    assert Person.objects.get(pk=people.qxg.pk).purge_on == dt.date(2029, 6, 30)


def test_a_minor_is_kept_until_18_plus_n(tree, care):
    child = register(
        care.qxg_town,
        tree.qxg_town,
        name="小明",
        id_number=make_id_number("52050220150301401"),
        categories=("留守未成年人",),
        guardian=services.GuardianInput(name="明父", relation="父亲"),
        consent=consent("明父", "父亲"),
    )
    assert child.purge_on == dt.date(2015 + 18 + 3, 3, 1)


def test_the_latest_reason_wins(tree, care):
    person = Person(birth_date=dt.date(2010, 1, 1), status=Person.Status.CLOSED, closed_on=dt.date(2024, 1, 1))
    assert retention_date(person, [category("留守未成年人"), category("低收入妇女")]) == dt.date(2031, 1, 1)


def _full_record(people, care, client_for):
    person = people.qxg
    client = client_for(care.qxg_town)
    services.record_consent(person, by=care.qxg_town, consent=consent("张小芳", covers_photo=True))
    services.add_member(person, by=care.qxg_town, name="张父亲", relation="父亲", phone="13511112222")
    record = services.record_help(person, by=care.qxg_town, given_on=dt.date(2023, 3, 6), kind="cash",
                                  given_by="市西街道", amount=500, note="张小芳家屋顶漏雨")  # fmt: skip
    services.add_attachment(record, by=care.qxg_town, kind="person_photo",
                            upload=SimpleUploadedFile("张小芳.jpg", b"\xff\xd8\xffphoto"))  # fmt: skip
    services.record_followup(
        person, by=care.qxg_town, visited_on=dt.date(2023, 4, 1), way="home", note="张小芳情况好转"
    )
    client.post(f"/care/{person.pk}/reveal/", {"field": "phone", "reason": "张小芳复查通知"})
    services.update_person(person, by=care.qxg_town, notes="张小芳的备注")
    services.close_person(person, by=care.qxg_town, reason="张小芳已就业", on=dt.date(2015, 1, 1))
    return person, record


def test_purgecare_anonymises_everything_it_should(people, care, client_for, settings):
    person, record = _full_record(people, care, client_for)
    attachment_path = HelpAttachment.objects.get().file.path
    out = io.StringIO()
    call_command("purgecare", stdout=out)
    assert out.getvalue().startswith("anonymised 1 people; removed 1 household members and 1 attachments")
    person = Person.objects.get(pk=person.pk)
    assert (person.name, person.id_number, person.id_digest, person.phone, person.birth_date) == (
        "（已匿名）",
        "",
        None,
        "",
        None,
    )
    assert all(getattr(person, f) == "" for f in Person.SENSITIVE_FIELDS)
    assert person.anonymised_at is not None and person.purge_on is None
    assert [c.name for c in person.categories.all()] == ["低收入妇女"]  # counts survive
    assert HelpRecord.objects.get().amount == 500 and HelpRecord.objects.get().note == ""
    assert not HouseholdMember.objects.exists() and not HelpAttachment.objects.exists()
    import os

    assert not os.path.exists(attachment_path)
    assert list(Consent.objects.filter(person=person).values_list("given_by", flat=True)) == ["（已匿名）"] * 2
    assert list(Consent.objects.exclude(person=person).values_list("given_by", flat=True)) == ["李秀英"]  # not due
    assert list(FollowUp.objects.values_list("note", flat=True)) == [""]
    assert list(AccessLog.objects.filter(person=person).values_list("reason", "ip").distinct()) == [("", None)]
    dump = json.dumps(list(AuditEntry.objects.values()), default=str, ensure_ascii=False)
    assert "张小芳" not in dump and "已就业" not in dump
    # And the raw tables: nothing of her remains anywhere in the care tables or the audit.
    with connection.cursor() as cursor:
        for table in ("care_person", "care_consent", "care_helprecord", "care_followup", "audit_auditentry"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            text = repr(cursor.fetchall())
            assert "张小芳" not in text and QXG_ID not in text and QXG_PHONE not in text, table


def test_anonymised_people_leave_every_page(people, care, client_for):
    services.close_person(people.qxg, by=care.qxg_town, reason="x", on=dt.date(2010, 1, 1))
    purge()
    client = client_for(care.qxg_town)
    assert client.get(f"/care/{people.qxg.pk}/").status_code == 404
    assert client.post("/care/", {"q": QXG_ID}).context["result"].people == []
    # The number is free again: a new registration is not a duplicate of the anonymised record.
    register(care.qxg_town, care.qxg_town.org, name="张小芳", id_number=QXG_ID)


def test_dry_run_counts_and_changes_nothing(people, care):
    services.close_person(people.qxg, by=care.qxg_town, reason="x", on=dt.date(2010, 1, 1))
    out = io.StringIO()
    call_command("purgecare", "--dry-run", stdout=out)
    assert "would anonymise 1 people" in out.getvalue() and "七星关区市西街道妇联: 1" in out.getvalue()
    assert Person.objects.get(pk=people.qxg.pk).name == "张小芳"


def test_the_city_sees_what_will_be_purged_next_month(people, care, users, client_for):
    today = dt.date.today()
    closed_on = dt.date(today.year - 5, today.month, 1) + dt.timedelta(days=40)
    services.close_person(people.qxg, by=care.qxg_town, reason="x", on=closed_on)
    response = client_for(care.city_admin).get("/care/retention/")
    assert response.context["total"] == 1
    html = response.content.decode()
    assert "七星关区市西街道妇联" in html and "张" not in html.split("将到期匿名化的档案")[1]
    for user in (care.qxg_admin, care.qxg, users.city_admin):
        assert client_for(user).get("/care/retention/").status_code == 403
