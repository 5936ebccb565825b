"""Report once: a report written from a ledger entry opens filled with the entry's campaign, facts
and photos, and saves only when the user saves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jinguo.activities import services as ledger
from jinguo.activities.models import Activity, ActivityPhoto
from jinguo.audit.models import AuditEntry
from jinguo.campaigns.models import VenueType
from jinguo.reports.models import Report, ReportPhoto
from tests.reports.conftest import jpeg, png

CREATE = reverse("reports:create")


@pytest.fixture
def entry(users, campaign, media):
    """七星关区's ledger entry on the city's campaign, with two photos."""
    activity = Activity.objects.create(
        org=users.qxg_liaison.org,
        campaign=campaign,
        title="维权周普法宣讲",
        date=dt.date(2023, 3, 5),
        place="市西街道新民社区",
        venue_type=VenueType.COMMUNITY,
        participants_total=40,
        participants_women=30,
        account="邀请律师讲解反家庭暴力法。",
        created_by=users.qxg_liaison,
    )
    ledger.add_photo(activity, by=users.qxg_liaison, upload=jpeg("现场.jpg"))
    ledger.add_photo(activity, by=users.qxg_liaison, upload=png("合影.png"))
    return activity


def test_from_ledger_form_opens_filled_and_saves_nothing(users, client_for, campaign, entry):
    response = client_for(users.qxg_liaison).get(CREATE, {"activity": entry.pk})

    assert response.status_code == 200
    form = response.context["form"]
    assert {k: form.initial[k] for k in ("campaign", "title", "activities")} == {
        "campaign": campaign.pk,
        "title": "维权周普法宣讲",
        "activities": [entry.pk],
    }
    assert form.initial["body"] == (
        "2023年3月5日，七星关区妇联在市西街道新民社区开展“维权周普法宣讲”活动，共 40 人参加，其中妇女 30 人。"
        "\n\n邀请律师讲解反家庭暴力法。"
    )
    assert [(p.original_name, checked) for p, checked in response.context["ledger_photos"]] == [
        ("现场.jpg", True),
        ("合影.png", True),
    ]
    assert 'name="from_activity"' in response.content.decode()
    assert Report.objects.count() == 0


def test_from_ledger_save_copies_the_chosen_photos_and_keeps_what_the_user_edited(users, client_for, campaign, entry):
    kept, left_out = ActivityPhoto.objects.filter(activity=entry).order_by("pk")
    data = {
        "from_activity": entry.pk,
        "kind": Report.Kind.NEWS,
        "campaign": campaign.pk,
        "title": "七星关区维权周普法宣讲进社区",
        "body": "改写后的正文。",
        "activities": [entry.pk],
        "ledger_photos": [kept.pk],
        "save": "",
    }

    response = client_for(users.qxg_liaison).post(CREATE, data)

    report = Report.objects.get()
    assert response.status_code == 302
    assert (report.status, report.title, report.body, report.campaign) == (
        Report.Status.DRAFT, "七星关区维权周普法宣讲进社区", "改写后的正文。", campaign,
    )  # fmt: skip
    assert list(report.activities.all()) == [entry]
    (photo,) = ReportPhoto.objects.filter(report=report)
    assert (photo.original_name, photo.content_type) == ("现场.jpg", "image/jpeg")
    assert photo.file.read() == kept.image.open("rb").read()
    assert photo.file.name != kept.image.name  # a copy: the ledger keeps its own
    assert ActivityPhoto.objects.filter(activity=entry).count() == 2
    assert AuditEntry.objects.get(action="reports.photo.added").data["activity_photo"] == kept.pk
    assert left_out.pk not in [
        e.data.get("activity_photo") for e in AuditEntry.objects.filter(action="reports.photo.added")
    ]


def test_from_ledger_a_form_error_keeps_the_photo_choice(users, client_for, campaign, entry):
    first, second = ActivityPhoto.objects.filter(activity=entry).order_by("pk")
    data = {
        "from_activity": entry.pk,
        "kind": Report.Kind.NEWS,
        "title": "",
        "body": "正文",
        "ledger_photos": [second.pk],
    }

    response = client_for(users.qxg_liaison).post(CREATE, data)

    assert response.status_code == 200
    assert "请填写标题" in response.content.decode()
    assert [(p.pk, checked) for p, checked in response.context["ledger_photos"]] == [
        (first.pk, False),
        (second.pk, True),
    ]
    assert Report.objects.count() == 0


def test_from_ledger_another_units_entry_is_404(users, client_for, entry):
    client = client_for(users.dafang_liaison)

    assert client.get(CREATE, {"activity": entry.pk}).status_code == 404
    posted = client.post(CREATE, {"from_activity": entry.pk, "kind": "news", "title": "偷", "body": "偷", "save": ""})
    assert posted.status_code == 404
    assert "维权周普法宣讲" not in client.get(CREATE).content.decode()  # not offered in the picker either
    assert Report.objects.count() == 0


def test_from_ledger_entry_page_links_to_write_a_report_for_its_own_unit_only(users, client_for, entry):
    link = f"{CREATE}?activity={entry.pk}"
    assert link in client_for(users.qxg_liaison).get(reverse("activities:detail", args=[entry.pk])).content.decode()
    city_view = client_for(users.city_admin).get(reverse("activities:detail", args=[entry.pk]))
    assert city_view.status_code == 200
    assert link not in city_view.content.decode()


def test_from_ledger_picker_on_the_form_lists_the_units_entries(users, client_for, entry):
    html = client_for(users.qxg_liaison).get(CREATE).content.decode()

    picker = html.split('data-testid="from-ledger"')[1].split("</form>")[0]
    assert f'<option value="{entry.pk}">2023-03-05 维权周普法宣讲</option>' in picker


def test_from_ledger_copies_at_most_nine_photos(users, campaign, entry):
    from jinguo.reports import services

    report = services.save_report(None, by=users.qxg_liaison, kind="news", title="标题", body="正文")
    for _ in range(8):
        services.add_report_photo(report, by=users.qxg_liaison, upload=png())

    copied = services.copy_activity_photos(
        report, by=users.qxg_liaison, photos=ActivityPhoto.objects.filter(activity=entry)
    )

    assert len(copied) == 1
    assert ReportPhoto.objects.filter(report=report).count() == 9


def test_from_ledger_refuses_another_units_photos(users, entry, media):
    from jinguo.reports import services

    report = services.save_report(None, by=users.dafang_liaison, kind="news", title="标题", body="正文")
    with pytest.raises(services.ReportError, match="只能使用本单位活动台账的照片"):
        services.copy_activity_photos(
            report, by=users.dafang_liaison, photos=ActivityPhoto.objects.filter(activity=entry)
        )
