"""Ledger data for the activities tests: a published campaign sent to both counties, with plans."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jinguo.activities.models import Activity, Need
from jinguo.campaigns.models import CampaignTarget, Plan, VenueType
from tests.factories import make_campaign, make_plan


def make_activity(org, by, **fields) -> Activity:
    """An entry written straight to the database (services are tested on their own)."""
    defaults = {
        "title": "维权周宣讲",
        "date": dt.date(2023, 3, 6),
        "place": "村委会",
        "venue_type": VenueType.VILLAGE,
        "format": Activity.Format.LECTURE,
        "participants_total": 40,
        "participants_women": 30,
        "created_by": by,
    }
    return Activity.objects.create(org=org, **(defaults | fields))


def make_need(activity, by, org=None, **fields) -> Need:
    defaults = {"category": Need.Category.EMPLOYMENT, "description": "希望提供就业岗位信息", "created_by": by}
    return Need.objects.create(activity=activity, org=org or activity.org, **(defaults | fields))


def image_upload(fmt: str = "JPEG", *, name: str = "photo.jpg", size=(800, 600), gps: bool = True):
    """An image file with a GPS location in its EXIF, as phones write them."""
    img = Image.new("RGB", size, (200, 40, 60))
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # Make
        gps_ifd = {1: "N", 2: (26.0, 34.0, 12.5), 3: "E", 4: (105.0, 17.0, 3.2)}
        exif[0x8825] = gps_ifd
    buf = io.BytesIO()
    img.save(buf, fmt, exif=exif.tobytes())
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def campaign(tree, users):
    return make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang], title="维权周活动")


@pytest.fixture
def qxg_plan(campaign, tree):
    return make_plan(CampaignTarget.objects.get(campaign=campaign, org=tree.qxg), status=Plan.Status.SUBMITTED)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
