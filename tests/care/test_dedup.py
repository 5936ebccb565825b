"""Dedup without leaks: inside the subtree the match is shown; outside, only "已在其他单位登记", and
the nearest unit above both is told, whose care admin may transfer the person."""

from __future__ import annotations

import pytest

from jinguo.care import services
from jinguo.care.models import AccessLog, DuplicateReport, Person
from jinguo.notifications.models import Notification
from tests.care.conftest import DAFANG_ID, DAFANG_PHONE, QXG_ID, QXG_PHONE, category
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _form(org, id_number, name="重复者"):
    return {
        "org": org.pk,
        "name": name,
        "id_number": id_number,
        "categories": [category("低收入妇女").pk],
        "basis": "duty",
    }


def test_a_duplicate_inside_the_subtree_is_shown(people, care, tree, client_for):
    response = client_for(care.qxg).post("/care/new/", _form(tree.qxg, QXG_ID))
    html = response.content.decode()
    assert 'data-testid="duplicate-inside"' in html and f"/care/{people.qxg.pk}/" in html
    assert Person.objects.count() == 2
    assert AccessLog.objects.filter(person=people.qxg, user=care.qxg, action=AccessLog.Action.DEDUP).count() == 1


def test_a_duplicate_elsewhere_says_only_so_and_tells_the_common_unit(people, care, tree, client_for):
    response = client_for(care.dafang).post("/care/new/", _form(tree.dafang, QXG_ID, name="张小芳"))
    html = response.content.decode()
    assert "已在其他单位登记" in html
    for leak in ("七星关", "市西街道", QXG_PHONE, "张*芳", f"/care/{people.qxg.pk}/", "乳腺癌"):
        assert leak not in html, leak
    assert Person.objects.count() == 2
    report = DuplicateReport.objects.get()
    assert (report.person, report.requesting_org, report.common_org) == (people.qxg, tree.dafang, tree.city)
    notes = list(Notification.objects.values_list("recipient__username", "title"))
    assert notes == [("city_care_admin", "大方县妇联登记的关爱对象已由七星关区市西街道妇联登记，请协调")]
    assert not AccessLog.objects.filter(person=people.qxg, user=care.dafang).exists()


def test_the_nearest_common_unit_is_asked_not_the_city(people, care, tree):
    town2 = __import__("tests.factories", fromlist=["make_org"]).make_org("七星关区二号镇妇联", parent=tree.qxg)
    worker = UserFactory(username="town2_care", org=town2, is_care_worker=True)
    identity = services.read_identity(QXG_ID)
    with pytest.raises(services.DuplicateElsewhere):
        services.check_duplicate(identity, by=worker)
    report = DuplicateReport.objects.get()
    assert report.common_org == tree.qxg
    assert [n.recipient for n in Notification.objects.all()] == [care.qxg_admin]


def test_a_sibling_cannot_probe_by_search_either(people, care, client_for):
    response = client_for(care.dafang).post("/care/", {"q": QXG_ID})
    assert response.context["result"].people == [] and "张" not in response.content.decode().split("查找结果")[1]


def test_care_admin_of_the_common_unit_transfers_and_the_requester_then_sees_the_person(people, care, tree, client_for):
    client_for(care.dafang).post("/care/new/", _form(tree.dafang, QXG_ID))
    report = DuplicateReport.objects.get()
    page = client_for(care.city_admin).get("/care/duplicates/").content.decode()
    assert "张*芳" in page and "张小芳" not in page and QXG_ID not in page
    assert client_for(care.qxg_admin).post(f"/care/duplicates/{report.pk}/transfer/").status_code == 404
    assert client_for(care.dafang).get("/care/duplicates/").status_code == 403
    client_for(care.city_admin).post(f"/care/duplicates/{report.pk}/transfer/")
    people.qxg.refresh_from_db()
    report.refresh_from_db()
    assert (people.qxg.org, report.status) == (tree.dafang, DuplicateReport.Status.TRANSFERRED)
    assert client_for(care.dafang).get(f"/care/{people.qxg.pk}/").status_code == 200
    assert client_for(care.qxg_town).get(f"/care/{people.qxg.pk}/").status_code == 404


def test_import_reports_a_duplicate_elsewhere_as_a_row_error_only(people, care, tree, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jinguo.care.importing import HEADER
    from tests.care.conftest import xlsx

    row = dict.fromkeys(HEADER, "")
    row |= {
        "责任单位": "大方县妇联",
        "姓名": "张小芳",
        "身份证号": QXG_ID,
        "关爱类别": "低收入妇女",
        "处理依据": "法定职责",
    }
    client = client_for(care.dafang)
    upload = SimpleUploadedFile("名单.xlsx", xlsx(HEADER, [[row[h] for h in HEADER]]))
    response = client.post("/care/import/", {"file": upload}, follow=True)
    html = response.content.decode()
    assert "已在其他单位登记" in html and "七星关" not in html and QXG_PHONE not in html
    assert Person.objects.count() == 2
    assert DAFANG_ID not in html and DAFANG_PHONE not in html
