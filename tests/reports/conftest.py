"""Reports built through the services, as a unit and its reviewers would build them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jinguo.activities.models import Activity
from jinguo.campaigns.models import VenueType
from jinguo.reports import services
from jinguo.reports.models import Report
from tests.factories import UserFactory, make_campaign


def _image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (179, 32, 42)).save(buf, fmt)
    return buf.getvalue()


PNG = _image_bytes("PNG")
JPEG = _image_bytes("JPEG")


def png(name: str = "现场.png", data: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def jpeg(name: str = "合影.jpg", data: bytes = JPEG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def draft(user, *, title="七星关区开展维权周普法宣讲", body="3月5日，区妇联在市西街道开展宣讲。", **kwargs) -> Report:
    kwargs.setdefault("kind", Report.Kind.NEWS)
    return services.save_report(None, by=user, title=title, body=body, **kwargs)


def submitted(user, **kwargs) -> Report:
    report = draft(user, **kwargs)
    services.submit_report(report, by=user)
    report.refresh_from_db()
    return report


def adopted(user, reviewer, channels=("website",), **kwargs) -> Report:
    report = submitted(user, **kwargs)
    services.adopt_report(report, by=reviewer, channels=channels)
    report.refresh_from_db()
    return report


def rejected(user, reviewer, reason="内容与活动无关", **kwargs) -> Report:
    report = submitted(user, **kwargs)
    services.reject_report(report, by=reviewer, reason=reason)
    report.refresh_from_db()
    return report


def make_activity(org, by, title="维权周普法宣讲") -> Activity:
    return Activity.objects.create(
        org=org,
        title=title,
        date=dt.date(2023, 3, 5),
        place="市西街道新民社区",
        venue_type=VenueType.COMMUNITY,
        created_by=by,
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def town_users(tree):
    """Liaisons of the two townships (their reports go to their county)."""
    return {
        "qxg_town": UserFactory(username="qxg_town_liaison", org=tree.qxg_town, is_liaison=True),
        "dafang_town": UserFactory(username="dafang_town_liaison", org=tree.dafang_town, is_liaison=True),
    }


@pytest.fixture
def campaign(tree, users):
    """The city's notice, sent to both counties."""
    return make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang], title="三八维权周")


@pytest.fixture
def qxg_report(users, campaign):
    """七星关区's report on the city's campaign, submitted to the city."""
    return submitted(users.qxg_liaison, campaign=campaign, kind=Report.Kind.PRACTICE)


@pytest.fixture
def dafang_report(users, campaign):
    return submitted(
        users.dafang_liaison, campaign=campaign, title="大方县巾帼志愿宣讲进村寨", body="大方县组建宣讲队。"
    )
