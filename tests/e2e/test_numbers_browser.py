"""The figures' pages on a phone and a desktop: a notice with a re-issue (含转发), a late filing
(逾期报送), the ranking with a pending unit, a voided report, a report drafted from the ledger.
Nothing pushes the page sideways at 375 px. Set JINGUO_SCREENSHOTS to a folder to keep PNGs."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from jinguo.activities.models import Activity
from jinguo.campaigns.models import Campaign, CampaignTarget, Plan, VenueType
from jinguo.orgs.models import Org
from jinguo.reports import services as reports
from tests.browser import DESKTOP, PHONE, sign_in
from tests.factories import PASSWORD, make_campaign, make_org, make_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "关于开展2023年“巾帼心向党 奋进新征程”“三八”国际妇女节系列活动方案的通知"


@pytest.fixture
def figures(tree, users):
    second_town = make_org("七星关区洪山街道妇联", Org.Kind.TOWNSHIP, tree.qxg)
    campaign = make_campaign(
        issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang, tree.qxg_town], title=LONG_TITLE
    )
    reissue = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town, second_town], title="转发")
    Campaign.objects.filter(pk=reissue.pk).update(parent=campaign)
    deadline = timezone.now() - dt.timedelta(days=1)
    Campaign.objects.filter(pk=campaign.pk).update(plan_deadline=deadline)
    CampaignTarget.objects.filter(campaign=campaign, org__in=[tree.qxg, tree.qxg_town]).update(
        signed_at=timezone.now(), signed_by=users.qxg_liaison
    )
    plan = make_plan(CampaignTarget.objects.get(campaign=campaign, org=tree.qxg), status=Plan.Status.SUBMITTED)
    Plan.objects.filter(pk=plan.pk).update(first_submitted_at=deadline + dt.timedelta(hours=3))
    entry = Activity.objects.create(
        org=tree.qxg, campaign=campaign, title="维权周普法宣讲", date=dt.date(2023, 3, 5), place="市西街道新民社区",
        venue_type=VenueType.COMMUNITY, participants_total=40, participants_women=30, created_by=users.qxg_liaison,
    )  # fmt: skip
    adopted = reports.save_report(
        None, by=users.dafang_liaison, kind="news", title="大方县动态", body="正文", campaign=campaign
    )
    reports.submit_report(adopted, by=users.dafang_liaison)
    reports.adopt_report(adopted, by=users.city_admin, channels=["website"])
    pending = reports.save_report(
        None, by=users.qxg_liaison, kind="news", title="七星关区动态", body="正文", campaign=campaign
    )
    reports.submit_report(pending, by=users.qxg_liaison)
    voided = reports.save_report(
        None, by=users.qxg_liaison, kind="news", title="重复的信息", body="正文", campaign=campaign
    )
    reports.submit_report(voided, by=users.qxg_liaison)
    reports.void_report(voided, by=users.qxg_liaison, reason="与“七星关区动态”重复")
    return {"campaign": campaign, "entry": entry, "voided": voided}


def _look(page, name: str, viewport: dict) -> None:
    page.wait_for_load_state("networkidle")
    folder = os.environ.get("JINGUO_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}-{viewport['width']}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_figures_pages_fit_and_say_the_same(figures, new_page, viewport):
    campaign = figures["campaign"]
    page = new_page(viewport)
    sign_in(page, "city_admin", PASSWORD)
    pages = {
        "board": f"/dashboard/?campaign={campaign.pk}",
        "matrix": f"/dashboard/campaigns/{campaign.pk}/matrix/",
        "issuer": f"/campaigns/{campaign.pk}/",
        "ranking": "/reports/ranking/",
        "voided": f"/reports/{figures['voided'].pk}/",
    }
    for name, url in pages.items():
        page.goto(url)
        _look(page, name, viewport)
        if name in ("board", "matrix", "issuer"):
            assert "66.7%" in page.content() and "含转发 2/5（40.0%）" in page.content(), name

    liaison = new_page(viewport)
    sign_in(liaison, "qxg_liaison", PASSWORD)
    liaison.goto(f"/activities/{figures['entry'].pk}/")
    liaison.click("[data-testid=write-report]")
    _look(liaison, "report-from-ledger", viewport)
    assert liaison.input_value("#id_title") == "维权周普法宣讲"
