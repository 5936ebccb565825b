"""The registry's pages: phone-first registration, masked lists, POST search, reveal with a reason,
help, follow-ups; every page no-store; a sibling county's caseworker sees nothing of the other side."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, get_resolver, reverse

from jinguo.care.models import AccessLog, HelpRecord, Person
from jinguo.lib.idnumbers import make_id_number
from tests.care.conftest import DAFANG_ID, DAFANG_PHONE, QXG_ID, QXG_PHONE, category, register

pytestmark = pytest.mark.django_db


def _form(**over):
    data = {
        "org": "",
        "name": "王小红",
        "id_number": make_id_number("52050219881220402"),
        "phone": "13700001111",
        "categories": [category("失业妇女").pk],
        "basis": "consent",
        "consent_given_by": "王小红",
        "consent_relation": "本人",
        "consent_given_on": "2023-03-01",
        "needs": "需要就业培训",
    }
    data.update(over)
    return data


def test_caseworker_registers_a_person_with_birth_and_sex_from_the_id(tree, care, client_for):
    client = client_for(care.qxg_town)
    response = client.post("/care/new/", _form(org=tree.qxg_town.pk))
    person = Person.objects.get(name="王小红")
    assert response.status_code == 302 and response["Location"] == f"/care/{person.pk}/"
    assert (person.birth_date, person.sex, person.org) == (dt.date(1988, 12, 20), "F", tree.qxg_town)
    assert [c.given_by for c in person.consents.all()] == ["王小红"]


def test_a_wrong_check_digit_is_refused_and_nothing_typed_is_lost(tree, care, client_for):
    number = make_id_number("52050219881220402")
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    response = client_for(care.qxg_town).post("/care/new/", _form(org=tree.qxg_town.pk, id_number=wrong))
    html = response.content.decode()
    assert response.status_code == 200 and "身份证号校验位不正确" in html
    assert "需要就业培训" in html and 'value="王小红"' in html
    assert not Person.objects.exists()


def test_a_child_under_14_needs_a_guardian(tree, care, client_for):
    child = make_id_number(f"520502{dt.date.today().year - 8}0101402")
    data = _form(org=tree.qxg_town.pk, id_number=child, categories=[category("留守未成年人").pk])
    data["consent_given_by"], data["consent_relation"] = "王父", "父亲"
    response = client_for(care.qxg_town).post("/care/new/", data)
    assert "未满 14 周岁的儿童须登记监护人" in response.content.decode()
    data |= {"guardian_name": "王父", "guardian_relation": "父亲"}
    assert client_for(care.qxg_town).post("/care/new/", data).status_code == 302
    person = Person.objects.get()
    assert [(m.name, m.is_guardian) for m in person.members.all()] == [("王父", True)]


def test_a_child_cannot_consent_for_herself(tree, care, client_for):
    child = make_id_number(f"520502{dt.date.today().year - 8}0101402")
    data = _form(org=tree.qxg_town.pk, id_number=child, guardian_name="王父", guardian_relation="父亲")
    response = client_for(care.qxg_town).post("/care/new/", data)
    assert "须由监护人作出同意" in response.content.decode()


def test_consent_basis_requires_a_consent_record(tree, care, client_for):
    data = _form(org=tree.qxg_town.pk, consent_given_by="")
    assert "须登记同意记录" in client_for(care.qxg_town).post("/care/new/", data).content.decode()


def test_the_list_masks_names_above_the_keeping_unit_and_shows_no_numbers(people, care, client_for):
    html = client_for(care.qxg).get("/care/").content.decode()
    assert "张*芳" in html and "张小芳" not in html
    assert QXG_ID not in html and QXG_PHONE not in html and "李秀英" not in html and "李*英" not in html
    own = client_for(care.qxg_town).get("/care/").content.decode()
    assert "张小芳" in own


def test_the_list_decrypts_nothing(people, care, client_for, settings):
    """With the keys swapped for others, any decryption would fail (a 500): the list needs none."""
    from jinguo.care import crypto

    crypto.write_key_file(settings.CARE_KEYS_FILE, {"current": "k1", "keys": {"k1": crypto.new_key_text()},
                                                    "hmac": crypto.new_key_text()})  # fmt: skip
    client = client_for(care.qxg)
    assert client.get("/care/").status_code == 200
    with pytest.raises(crypto.DecryptionError):
        client.get(f"/care/{people.qxg.pk}/")  # the person page does decrypt: the swap bites


def test_search_by_exact_id_number_is_a_post_and_finds_only_the_subtree(people, care, client_for):
    client = client_for(care.qxg)
    response = client.post("/care/", {"q": QXG_ID})
    assert [p.pk for p in response.context["result"].people] == [people.qxg.pk]
    assert client.post("/care/", {"q": DAFANG_ID}).context["result"].people == []
    assert client.post("/care/", {"q": "李秀英"}).context["result"].people == []
    assert [p.pk for p in client.post("/care/", {"q": "小芳"}).context["result"].people] == [people.qxg.pk]


def test_person_page_masks_numbers_until_revealed_with_a_reason(people, care, client_for):
    client = client_for(care.qxg_town)
    url = f"/care/{people.qxg.pk}/"
    html = client.get(url).content.decode()
    assert "520502********" + QXG_ID[-4:] in html and "139****1234" in html
    assert QXG_ID not in html and QXG_PHONE not in html
    refused = client.post(url + "reveal/", {"field": "id_number", "reason": ""})
    assert refused.status_code == 400 and QXG_ID not in refused.content.decode()
    assert "请填写查看原因" in refused.content.decode()
    shown = client.post(url + "reveal/", {"field": "id_number", "reason": "核对低保申请材料"})
    assert QXG_ID in shown.content.decode() and QXG_PHONE not in shown.content.decode()
    again = client.get(url).content.decode()
    assert QXG_ID not in again  # for that view only
    log = AccessLog.objects.filter(person=people.qxg, action=AccessLog.Action.REVEAL).get()
    assert (log.user, log.field, log.reason) == (care.qxg_town, "id_number", "核对低保申请材料")


def test_registry_pages_are_never_stored_by_the_browser(people, care, client_for):
    client = client_for(care.qxg_town)
    for url in ["/care/", f"/care/{people.qxg.pk}/", "/care/new/", "/care/followups/", "/care/stats/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_every_care_route_that_answers_is_no_store(people, care, client_for):
    """Every route of the app, opened by a city care admin: each page that answers says no-store."""
    client = client_for(care.city_admin)
    care_urls = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "care")
    answered = []
    for pattern in care_urls.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern).replace("<int:pk>", str(people.qxg.pk)).replace("<str:token>", "x" * 24)
        response = client.get("/care/" + route)
        if response.status_code == 405:
            response = client.post("/care/" + route, {})
        if response.status_code in (200, 400):
            assert "no-store" in response["Cache-Control"], route
            answered.append(pattern.name)
    assert len(answered) >= 18, answered


@pytest.mark.parametrize(
    "url",
    [
        "/care/{pk}/",
        "/care/{pk}/edit/",
        "/care/{pk}/print/",
        "/care/{pk}/access/",
        "/care/{pk}/help/new/",
        "/care/{pk}/followups/new/",
        "/care/{pk}/members/new/",
        "/care/{pk}/consents/new/",
    ],
)
def test_sibling_caseworker_gets_404_on_a_qxg_person(people, care, client_for, url):
    response = client_for(care.dafang).get(url.format(pk=people.qxg.pk))
    assert response.status_code == 404
    assert "张小芳" not in response.content.decode()


def test_sibling_caseworker_cannot_reveal_or_post_to_a_qxg_person(people, care, client_for):
    client = client_for(care.dafang)
    pk = people.qxg.pk
    assert client.post(f"/care/{pk}/reveal/", {"field": "phone", "reason": "想看一下电话"}).status_code == 404
    assert client.post(f"/care/{pk}/close/", {"reason": "x"}).status_code == 404
    assert not AccessLog.objects.filter(person=people.qxg, user=care.dafang).exists()


def test_staff_without_the_care_role_see_no_person(people, users, client_for):
    for user in (users.qxg_liaison, users.qxg_admin, users.city_admin, users.city_reviewer):
        client = client_for(user)
        assert client.get("/care/").status_code == 403
        assert client.get(f"/care/{people.qxg.pk}/").status_code == 403
        assert client.get("/care/stats/").status_code == 200


def test_help_record_with_campaign_line_and_a_person_photo_only_with_consent(people, care, client_for, users, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import make_campaign

    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.qxg_town])
    line = campaign.lines.first()
    client = client_for(care.qxg_town)
    response = client.post(
        f"/care/{people.qxg.pk}/help/new/",
        {
            "given_on": "2023-03-06",
            "kind": "cash",
            "amount": "500",
            "given_by": "市西街道妇联",
            "campaign": campaign.pk,
            "line": line.pk,
        },
    )
    assert response.status_code == 302
    record = HelpRecord.objects.get()
    assert (record.campaign, record.line, record.amount) == (campaign, line, 500)
    photo = SimpleUploadedFile("张小芳.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    client.post(f"/care/help/{record.pk}/attachments/", {"kind": "person_photo", "file": photo})
    assert record.attachments.count() == 0
    from jinguo.care import services

    services.record_consent(
        people.qxg,
        by=care.qxg_town,
        consent=services.ConsentInput(given_by="张小芳", relation="本人", given_on=dt.date.today(), covers_photo=True),
    )
    photo = SimpleUploadedFile("张小芳.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    client.post(f"/care/help/{record.pk}/attachments/", {"kind": "person_photo", "file": photo})
    attachment = record.attachments.get()
    assert b"fake jpeg" not in attachment.file.read()
    assert client.get(f"/care/attachments/{attachment.pk}/").content == b"\xff\xd8\xff fake jpeg"
    assert client_for(care.dafang).get(f"/care/attachments/{attachment.pk}/").status_code == 404


def test_followups_schedule_due_and_overdue_lists(tree, care, client_for):
    person = register(care.qxg_town, tree.qxg_town, name="赵留守", followup_days=30)
    Person.objects.filter(pk=person.pk).update(next_followup_on=dt.date.today() - dt.timedelta(days=3))
    client = client_for(care.qxg_town)
    response = client.get("/care/followups/")
    assert [p.pk for p in response.context["overdue"]] == [person.pk]
    client.post(
        f"/care/{person.pk}/followups/new/",
        {"visited_on": dt.date.today().isoformat(), "way": "home", "note": "孩子在校情况良好"},
    )
    person.refresh_from_db()
    assert person.next_followup_on == dt.date.today() + dt.timedelta(days=30)
    assert client.get("/care/followups/").context["overdue"] == []


def test_the_list_is_a_fixed_number_of_queries(tree, care, client_for, django_assert_max_num_queries):
    client = client_for(care.qxg)
    register(care.qxg, tree.qxg_town, name="一号")
    client.get("/care/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get("/care/")
    for i in range(15):
        register(care.qxg, tree.qxg_town, name=f"多号{i}")
    with CaptureQueriesContext(connection) as many:
        client.get("/care/")
    assert len(many) == len(one)


def test_no_sensitive_value_in_any_url_of_the_person_page(people, care, client_for):
    html = client_for(care.qxg_town).get(f"/care/{people.qxg.pk}/").content.decode()
    import re

    for href in re.findall(r'(?:href|action)="([^"]+)"', html):
        assert QXG_ID not in href and QXG_PHONE not in href and "张小芳" not in href
    assert reverse("care:person", args=[people.qxg.pk]) == f"/care/{people.qxg.pk}/"
    assert DAFANG_PHONE not in html


def test_the_daily_digest_tells_caseworkers_counts_and_never_names(tree, care, users):
    from jinguo.dashboard.reminders import send_reminders
    from jinguo.notifications.models import Notification

    person = register(care.qxg_town, tree.qxg_town, name="赵留守", followup_days=30)
    Person.objects.filter(pk=person.pk).update(next_followup_on=dt.date.today() - dt.timedelta(days=2))
    assert send_reminders() == (1, 1)
    note = Notification.objects.get()
    assert note.recipient == care.qxg_town
    assert "1 人的回访已逾期" in note.body and "赵留守" not in note.body and "赵" not in note.title
    assert send_reminders() == (0, 0)  # once a day


def test_the_edit_form_shows_masks_not_numbers_and_blank_keeps_them(people, care, client_for):
    client = client_for(care.qxg_town)
    html = client.get(f"/care/{people.qxg.pk}/edit/").content.decode()
    assert QXG_ID not in html and QXG_PHONE not in html and "139****1234" in html
    categories = [c.pk for c in people.qxg.categories.all()]
    data = {"name": "张小芳", "categories": categories, "basis": "consent", "needs": "新的需求"}
    assert client.post(f"/care/{people.qxg.pk}/edit/", data).status_code == 302
    person = Person.objects.get(pk=people.qxg.pk)
    assert (person.id_number, person.phone, person.needs) == (QXG_ID, QXG_PHONE, "新的需求")
    assert AccessLog.objects.filter(person=person, action=AccessLog.Action.VIEW, where="care:edit").count() == 1


def test_a_withdrawn_photo_consent_stops_person_photos(people, care, client_for):
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from jinguo.care import services

    consent = services.record_consent(people.qxg, by=care.qxg_town, consent=services.ConsentInput(
        given_by="张小芳", relation="本人", given_on=dt.date.today() - dt.timedelta(days=3), covers_photo=True))  # fmt: skip
    record = services.record_help(people.qxg, by=care.qxg_town, given_on=dt.date.today(), kind="cash", given_by="妇联")
    assert client_for(care.dafang).post(f"/care/consents/{consent.pk}/withdraw/").status_code == 404
    client_for(care.qxg_town).post(f"/care/consents/{consent.pk}/withdraw/")
    consent.refresh_from_db()
    assert consent.withdrawn_on == dt.date.today()
    with pytest.raises(services.CareError, match="没有本人"):
        services.add_attachment(record, by=care.qxg_town, kind="person_photo",
                                upload=SimpleUploadedFile("p.jpg", b"\xff\xd8\xff"))  # fmt: skip
