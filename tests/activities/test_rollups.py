"""The ledger's running totals (activities.rollups) equal a fresh aggregate of the ledger, always."""

from __future__ import annotations

import datetime as dt
import importlib
import random

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from jinguo.activities import services
from jinguo.activities.importing import import_activities
from jinguo.activities.models import Activity, ActivityBreakdownRollup, ActivityDayRollup, ActivityRollup
from jinguo.activities.rollups import rebuild_activity_rollups
from jinguo.campaigns.models import CampaignTarget, Plan, PlannedEvent, VenueType
from jinguo.orgs.models import Org
from jinguo.orgs.services import move_org
from tests.factories import make_plan

SUMS = ("participants_total", "participants_women", "participants_minors", "online_reach")


def fresh_aggregate() -> tuple[dict, dict, dict]:
    """The rollups recomputed from the raw ledger, unit by unit (no shared code with the service);
    voided entries count nowhere."""
    main, days, breakdown = {}, {}, {}
    for org in Org.objects.all():
        ledger = Activity.objects.filter(
            org__path__startswith=org.path, campaign__isnull=False, voided_at__isnull=True
        ).order_by()
        for g in ledger.values("campaign_id", "venue_type", "format").annotate(
            n=Count("pk"), **{s: Sum(s) for s in SUMS}
        ):
            main[(g["campaign_id"], org.pk, g["venue_type"], g["format"])] = (g["n"], *(g[s] for s in SUMS))
        for g in ledger.values("campaign_id", "date").annotate(
            n=Count("pk"), t=Sum("participants_total"), w=Sum("participants_women")
        ):
            days[(g["campaign_id"], org.pk, g["date"])] = (g["n"], g["t"], g["w"])
        for g in ledger.values("campaign_id", "line_id", "venue_type", "format", "speaker_type").annotate(
            n=Count("pk"), t=Sum("participants_total"), w=Sum("participants_women")
        ):
            key = (g["campaign_id"], org.pk, g["line_id"] or 0, g["venue_type"], g["format"], g["speaker_type"])
            breakdown[key] = (g["n"], g["t"], g["w"])
    return main, days, breakdown


def stored_rollups() -> tuple[dict, dict, dict]:
    main = {
        (r.campaign_id, r.org_id, r.venue_type, r.format): (r.events, *(getattr(r, s) for s in SUMS))
        for r in ActivityRollup.objects.all()
        if r.events or any(getattr(r, s) for s in SUMS)
    }
    days = {
        (r.campaign_id, r.org_id, r.date): (r.events, r.participants_total, r.participants_women)
        for r in ActivityDayRollup.objects.all()
        if r.events or r.participants_total or r.participants_women
    }
    breakdown = {
        (r.campaign_id, r.org_id, r.line, r.venue_type, r.format, r.speaker_type): (
            r.events,
            r.participants_total,
            r.participants_women,
        )
        for r in ActivityBreakdownRollup.objects.all()
        if r.events or r.participants_total or r.participants_women
    }
    return main, days, breakdown


def _fields(rng: random.Random, campaign) -> dict:
    total = rng.randrange(0, 60)
    in_campaign = rng.choice([campaign, campaign, None])
    return {
        "title": "维权周宣讲",
        "date": dt.date(2023, 3, rng.randrange(1, 9)),
        "place": "村委会",
        "venue_type": rng.choice(VenueType.values),
        "format": rng.choice(Activity.Format.values),
        "participants_total": total,
        "participants_women": rng.randrange(0, total + 1),
        "participants_minors": rng.randrange(0, total + 1),
        "online_reach": rng.randrange(0, 500),
        "campaign": in_campaign,
        # A line only with its campaign (an entry without a campaign takes its line's).
        "line": rng.choice([None, *campaign.lines.order_by("pk")]) if in_campaign else None,
        "speaker_type": rng.choice(["", *Activity.SpeakerType.values]),
    }


def _import_row(number: int, unit: Org, rng: random.Random) -> dict:
    total = rng.randrange(1, 40)
    return {
        "举办单位": unit.code,
        "所属活动通知": rng.choice(["维权周活动", ""]),
        "活动名称": "宣讲",
        "日期": f"2023-03-0{rng.randrange(1, 9)}",
        "地点": "村委会",
        "场所类型": rng.choice(["农村", "社区", "学校"]),
        "活动形式": rng.choice(["宣讲会", "座谈交流会", "知识竞赛"]),
        "宣讲人类型": "",
        "宣讲的法律": "",
        "参加人数": str(total),
        "其中妇女": str(rng.randrange(0, total + 1)),
        "其中未成年人": "0",
        "线上覆盖人次": str(rng.randrange(0, 100)),
        "活动简述": "",
        "_row": number,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_a_fresh_aggregate_after_random_writes_and_moves(tree, users, campaign, seed):
    rng = random.Random(seed)
    units = [tree.city, tree.qxg, tree.dafang, tree.qxg_town, tree.dafang_town]
    events = []
    for target in CampaignTarget.objects.filter(campaign=campaign):
        plan = make_plan(target, status=Plan.Status.SUBMITTED)
        events += [plan.events.get()]
        for day in (6, 7):
            events.append(
                PlannedEvent.objects.create(
                    plan=plan, title="座谈会", date=dt.date(2023, 3, day), place="社区", venue_type=VenueType.COMMUNITY,
                    expected_participants=day * 3,
                )
            )  # fmt: skip
    moved, done = False, set()
    for _ in range(60):
        op = rng.choice(["record", "record", "update", "update", "planned", "import", "move", "void", "restore"])
        counted = list(Activity.objects.filter(voided_at__isnull=True).select_related("org"))
        voided = list(Activity.objects.filter(voided_at__isnull=False).select_related("org"))
        if op == "record":
            services.record_activity(org=rng.choice(units), by=users.city_admin, **_fields(rng, campaign))
        elif op == "update" and counted:
            entry = rng.choice(counted)
            fields = _fields(rng, campaign)
            services.update_activity(entry, by=users.city_admin, **fields)
        elif op == "planned" and events:
            event = events.pop(rng.randrange(len(events)))
            fields = _fields(rng, campaign)
            del fields["campaign"], fields["line"]  # the plan's
            services.record_from_planned_event(event, by=users.city_admin, **fields)
        elif op == "import":
            county = Org.objects.get(pk=rng.choice([tree.qxg.pk, tree.dafang.pk]))
            town = Org.objects.filter(parent=county).order_by("path").first() or county
            rows = [_import_row(n, rng.choice([county, town]), rng) for n in range(2, 2 + rng.randrange(1, 5))]
            assert import_activities(rows, by=users.city_admin, dry_run=False).written
        elif op == "move":
            town = Org.objects.get(pk=tree.qxg_town.pk)
            move_org(town, new_parent=tree.qxg if moved else tree.dafang, by=users.city_admin)
            moved = not moved
        elif op == "void" and counted:
            services.void_activity(rng.choice(counted), by=users.city_admin, reason="重复记录")
        elif op == "restore" and voided:
            services.restore_activity(rng.choice(voided), by=users.city_admin)
        else:
            continue
        done.add(op)
        assert stored_rollups() == fresh_aggregate(), op
    assert done == {"record", "update", "planned", "import", "move", "void", "restore"}
    assert Activity.objects.filter(campaign__isnull=False).count() > 5  # the sequence did write


def test_rollup_of_a_unit_holds_its_subtree_and_skips_entries_without_campaign(tree, users, campaign):
    fields = _fields(random.Random(7), campaign) | {"participants_total": 12, "participants_women": 5}
    fields |= {"participants_minors": 0, "online_reach": 3, "venue_type": VenueType.SCHOOL, "format": "lecture"}
    fields["line"] = None  # a line would bring its campaign to the entry recorded without one
    services.record_activity(org=tree.qxg_town, by=users.qxg_liaison, **(fields | {"campaign": campaign}))
    services.record_activity(org=tree.qxg, by=users.qxg_liaison, **(fields | {"campaign": campaign}))
    services.record_activity(org=tree.qxg, by=users.qxg_liaison, **(fields | {"campaign": None}))
    got = dict(
        ActivityRollup.objects.filter(campaign=campaign).values_list("org__name", "events").order_by("org__path")
    )
    assert got == {"毕节市妇联": 2, "七星关区妇联": 2, "七星关区市西街道妇联": 1}
    city = ActivityRollup.objects.get(org=tree.city)
    assert (city.participants_total, city.participants_women, city.online_reach) == (24, 10, 6)
    assert ActivityRollup.objects.filter(campaign__isnull=True).count() == 0


def test_moving_a_unit_moves_its_totals_through_the_org_moved_signal(tree, users, campaign):
    fields = _fields(random.Random(5), campaign) | {"campaign": campaign}
    services.record_activity(org=tree.qxg_town, by=users.qxg_liaison, **fields)

    move_org(Org.objects.get(pk=tree.qxg_town.pk), new_parent=tree.dafang, by=users.city_admin)

    got = dict(ActivityRollup.objects.filter(campaign=campaign).values_list("org__name", "events"))
    assert got == {"毕节市妇联": 1, "七星关区妇联": 0, "大方县妇联": 1, "七星关区市西街道妇联": 1}


def test_rebuild_and_command_recompute_rollups_from_the_ledger(tree, users, campaign):
    fields = _fields(random.Random(3), campaign) | {"campaign": campaign}
    services.record_activity(org=tree.qxg_town, by=users.qxg_liaison, **fields)
    expected = stored_rollups()
    ActivityRollup.objects.update(events=99)  # drifted, e.g. rows edited by hand
    ActivityDayRollup.objects.all().delete()
    ActivityBreakdownRollup.objects.update(participants_women=7)
    assert rebuild_activity_rollups(campaign=campaign) == 9  # 3 units × (venue/format + day + breakdown row)
    assert stored_rollups() == expected == fresh_aggregate()
    ActivityRollup.objects.all().delete()
    ActivityBreakdownRollup.objects.all().delete()
    call_command("rebuildrollups")
    assert stored_rollups() == expected


def test_failed_update_leaves_rollups_untouched(tree, users, campaign):
    fields = _fields(random.Random(5), campaign) | {"campaign": campaign, "participants_total": 10}
    fields["participants_women"] = fields["participants_minors"] = 0
    entry = services.record_activity(org=tree.qxg, by=users.qxg_liaison, **fields)
    before = stored_rollups()
    with pytest.raises(services.ActivityError):
        services.update_activity(entry, by=users.qxg_liaison, **(fields | {"participants_women": 11}))
    assert stored_rollups() == before == fresh_aggregate()


def test_migration_builds_the_breakdown_from_the_existing_ledger(tree, users, campaign):
    from django.apps import apps

    fill = importlib.import_module("jinguo.activities.migrations.0006_breakdown_rollup").fill_breakdown
    rng = random.Random(9)
    for org in (tree.qxg_town, tree.qxg, tree.dafang):
        services.record_activity(org=org, by=users.city_admin, **(_fields(rng, campaign) | {"campaign": campaign}))
    voided = services.record_activity(
        org=tree.qxg, by=users.city_admin, **(_fields(rng, campaign) | {"campaign": campaign})
    )
    services.void_activity(voided, by=users.city_admin, reason="重复记录")
    expected = stored_rollups()
    ActivityBreakdownRollup.objects.all().delete()  # as before the migration: ledger and the other two totals only

    fill(apps, None)

    assert stored_rollups() == expected == fresh_aggregate()
    assert ActivityBreakdownRollup.objects.filter(org=tree.city).aggregate(n=Sum("events"))["n"] == 3
