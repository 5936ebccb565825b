"""``board_breakdown`` reads the ledger's running total (ActivityBreakdownRollup); the raw grouping of
the ledger below is the reference it must equal, for every unit, after any sequence of ledger writes."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db.models import Count, Sum

from jinguo.activities import services
from jinguo.activities.models import Activity
from jinguo.campaigns.models import ActivityLine, Campaign, VenueType
from jinguo.dashboard.selectors import board_activities, board_breakdown
from jinguo.orgs.models import Org
from jinguo.orgs.services import move_org
from tests.factories import make_campaign, make_org


def raw_breakdown(*, family: list[int], unit: Org) -> list[dict]:
    """The reference: the board's ledger entries grouped on the spot, lines named by title (a
    campaign's and its re-issue's copies of a line are one group)."""
    groups: dict[tuple, dict] = {}
    ledger = board_activities(family=family, unit=unit).order_by()
    for g in ledger.values("line__title", "venue_type", "format", "speaker_type").annotate(
        n=Count("pk"), t=Sum("participants_total"), w=Sum("participants_women")
    ):
        key = (g["line__title"] or "", g["venue_type"], g["format"], g["speaker_type"])
        row = groups.setdefault(
            key,
            dict(zip(("line", "venue_type", "format", "speaker_type"), key, strict=True))
            | dict.fromkeys(("events", "participants", "women"), 0),
        )
        row["events"] += g["n"]
        row["participants"] += g["t"]
        row["women"] += g["w"]
    return sorted(groups.values(), key=lambda r: tuple(map(str, r.values())))


def rollup_breakdown(*, family: list[int], unit: Org) -> list[dict]:
    return sorted(board_breakdown(family=family, unit=unit), key=lambda r: tuple(map(str, r.values())))


@pytest.fixture
def family(tree, users):
    """A city campaign sent to both counties, 七星关区's re-issue of it to its township (lines copied:
    same titles, other ids), and another campaign whose entries must not count."""
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang], title="维权周")
    reissue = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town], title="转发：维权周")
    Campaign.objects.filter(pk=reissue.pk).update(parent=campaign)
    for mine, theirs in zip(
        ActivityLine.objects.filter(campaign=reissue).order_by("order"),
        ActivityLine.objects.filter(campaign=campaign).order_by("order"),
        strict=True,
    ):
        ActivityLine.objects.filter(pk=mine.pk).update(title=theirs.title)
    other = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang], title="另一个")
    return campaign, Campaign.objects.get(pk=reissue.pk), other


def _fields(rng: random.Random, campaign: Campaign) -> dict:
    total = rng.randrange(0, 50)
    return {
        "title": "宣讲",
        "date": dt.date(2023, 3, rng.randrange(1, 9)),
        "place": "村委会",
        "venue_type": rng.choice(VenueType.values[:3]),
        "format": rng.choice(["lecture", "symposium"]),
        "speaker_type": rng.choice(["", "leader", "model"]),
        "participants_total": total,
        "participants_women": rng.randrange(0, total + 1),
        "campaign": campaign,
        "line": rng.choice([None, *campaign.lines.order_by("pk")]),
    }


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_breakdown_from_the_rollup_equals_the_raw_grouping_after_random_writes(tree, users, family, seed):
    rng = random.Random(seed)
    campaign, reissue, other = family
    ids = [campaign.pk, reissue.pk]
    village = make_org("七星关区市西街道一村妇联", Org.Kind.VILLAGE, tree.qxg_town)
    # Where each campaign may be recorded (the re-issue only reaches 七星关区's township and below).
    places = {campaign: [tree.city, tree.qxg, tree.dafang, tree.qxg_town, tree.dafang_town, village]}
    places |= {reissue: [tree.qxg_town, village], other: [tree.qxg, tree.dafang_town]}
    moved, done = False, set()
    for _ in range(60):
        op = rng.choice(["record", "record", "record", "update", "update", "void", "restore", "restore", "move"])
        counted = list(Activity.objects.filter(voided_at__isnull=True).select_related("org"))
        voided = list(Activity.objects.filter(voided_at__isnull=False).select_related("org"))
        if op == "record":
            target = rng.choice([campaign, campaign, reissue, other])
            org = Org.objects.get(pk=rng.choice(places[target]).pk)
            services.record_activity(org=org, by=users.city_admin, **_fields(rng, target))
        elif op == "update" and counted:
            entry = rng.choice(counted)
            # Same campaign (the unit must be reached by it); another line, venue, format, speaker, people.
            services.update_activity(entry, by=users.city_admin, **_fields(rng, entry.campaign))
        elif op == "void" and counted:
            services.void_activity(rng.choice(counted), by=users.city_admin, reason="重复记录")
        elif op == "restore" and voided:
            services.restore_activity(rng.choice(voided), by=users.city_admin)
        elif op == "move":
            # The township (with its village) goes to 大方县 and back: both counties' rows change.
            move_org(Org.objects.get(pk=tree.qxg_town.pk), new_parent=tree.qxg if moved else tree.dafang, by=None)
            moved = not moved
        else:
            continue
        done.add(op)
        for unit in Org.objects.all():
            assert rollup_breakdown(family=ids, unit=unit) == raw_breakdown(family=ids, unit=unit), (op, unit.name)
    assert done == {"record", "update", "void", "restore", "move"}
    city = raw_breakdown(family=ids, unit=tree.city)
    assert (
        sum(r["events"] for r in city) == Activity.objects.filter(campaign__in=ids, voided_at__isnull=True).count()
    )  # the other campaign's entries are left out, the re-issue's counted
    assert len({r["line"] for r in city}) > 1  # the sequence did spread over lines


def test_breakdown_merges_a_line_and_its_reissued_copy_and_skips_emptied_rows(tree, users, family):
    campaign, reissue, other = family
    line = campaign.lines.order_by("order").first()
    copy = reissue.lines.get(title=line.title)
    common = {"title": "宣讲", "date": dt.date(2023, 3, 6), "place": "村委会", "venue_type": VenueType.VILLAGE}
    common |= {"format": "lecture", "speaker_type": "leader", "participants_total": 10, "participants_women": 6}
    services.record_activity(org=tree.qxg, by=users.qxg_liaison, campaign=campaign, line=line, **common)
    services.record_activity(org=tree.qxg_town, by=users.qxg_liaison, campaign=reissue, line=copy, **common)
    gone = services.record_activity(org=tree.qxg, by=users.qxg_liaison, campaign=campaign, line=None, **common)
    services.record_activity(org=tree.qxg, by=users.qxg_liaison, campaign=other, line=None, **common)
    services.void_activity(gone, by=users.qxg_admin, reason="重复记录")

    got = board_breakdown(family=[campaign.pk, reissue.pk], unit=tree.qxg)

    assert got == [
        {"line": line.title, "venue_type": "village", "format": "lecture", "speaker_type": "leader"}
        | {"events": 2, "participants": 20, "women": 12}
    ]
    assert board_breakdown(family=[campaign.pk, reissue.pk], unit=tree.dafang) == []
