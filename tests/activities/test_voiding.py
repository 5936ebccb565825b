"""作废: ledger entries, attendees and needs can be voided with a reason, restored by an admin, and
count nowhere while voided: the rollups, the board, the coverage page, the export, the lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jinguo.activities import selectors, services
from jinguo.activities.forms import NeedForm
from jinguo.activities.models import Activity, ActivityRollup, Attendee, Need
from jinguo.activities.services import ActivityError
from jinguo.audit.models import AuditEntry
from jinguo.campaigns.models import VenueType
from tests.activities.conftest import make_need
from tests.excel import export_rows

FIELDS = {
    "title": "妇女权益保障法宣讲",
    "date": dt.date(2023, 3, 6),
    "place": "市西街道社区",
    "venue_type": VenueType.COMMUNITY,
    "format": Activity.Format.LECTURE,
    "participants_total": 40,
    "participants_women": 30,
}


def _record(org, by, **fields) -> Activity:
    return services.record_activity(org=org, by=by, **(FIELDS | fields))


def _symposium(org, by) -> Activity:
    return _record(org, by, title="妇女代表座谈会", format=Activity.Format.SYMPOSIUM)


def _rollup_events(campaign, org) -> int:
    return sum(ActivityRollup.objects.filter(campaign=campaign, org=org).values_list("events", flat=True))


# --- entries


def test_void_activity_needs_a_reason_and_leaves_the_rollups(tree, users, campaign):
    entry = _record(tree.qxg_town, users.qxg_liaison, campaign=campaign)
    assert (_rollup_events(campaign, tree.city), _rollup_events(campaign, tree.qxg)) == (1, 1)
    with pytest.raises(ActivityError, match="请填写作废原因"):
        services.void_activity(entry, by=users.qxg_liaison, reason="  ")
    services.void_activity(entry, by=users.qxg_liaison, reason="与另一条重复")
    entry.refresh_from_db()
    assert (entry.is_voided, entry.voided_by, entry.void_reason) == (True, users.qxg_liaison, "与另一条重复")
    assert (_rollup_events(campaign, tree.city), _rollup_events(campaign, tree.qxg)) == (0, 0)
    audit = AuditEntry.objects.get(object_id=entry.pk, action="activities.activity.voided")
    assert (audit.reason, audit.to_state, audit.actor) == ("与另一条重复", "已作废", users.qxg_liaison)
    with pytest.raises(ActivityError, match="已经作废"):
        services.void_activity(entry, by=users.qxg_liaison, reason="再来一次")
    assert _rollup_events(campaign, tree.city) == 0  # not subtracted twice


def test_only_an_admin_restores_and_the_entry_counts_again(tree, users, campaign):
    entry = _record(tree.qxg_town, users.qxg_liaison, campaign=campaign)
    services.void_activity(entry, by=users.qxg_liaison, reason="误录")
    with pytest.raises(PermissionDenied):
        services.restore_activity(entry, by=users.qxg_liaison)
    with pytest.raises(PermissionDenied):
        services.restore_activity(entry, by=users.dafang_admin)  # an admin of another county
    assert _rollup_events(campaign, tree.city) == 0
    services.restore_activity(entry, by=users.qxg_admin)
    entry.refresh_from_db()
    assert (entry.is_voided, entry.voided_by, entry.void_reason) == (False, None, "")
    assert (_rollup_events(campaign, tree.city), _rollup_events(campaign, tree.qxg_town)) == (1, 1)
    assert list(
        AuditEntry.objects.filter(object_id=entry.pk, action__startswith="activities.activity.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["activities.activity.recorded", "activities.activity.voided", "activities.activity.restored"]
    with pytest.raises(ActivityError, match="没有作废"):
        services.restore_activity(entry, by=users.qxg_admin)


def test_a_voided_entry_cannot_be_changed(tree, users, campaign, media):
    entry = _record(tree.qxg, users.qxg_liaison, campaign=campaign, format=Activity.Format.SYMPOSIUM)
    services.void_activity(entry, by=users.qxg_liaison, reason="误录")
    with pytest.raises(ActivityError, match="已作废"):
        services.update_activity(entry, by=users.qxg_liaison, **(FIELDS | {"participants_total": 99}))
    with pytest.raises(ActivityError, match="已作废"):
        services.add_attendee(entry, by=users.qxg_liaison, name="王芳", category=Attendee.Category.OTHER)
    with pytest.raises(ActivityError, match="已作废"):
        services.raise_need(entry, by=users.qxg_liaison, org=tree.qxg, category="employment", description="就业")
    assert _rollup_events(campaign, tree.city) == 0


def test_a_symposium_with_counted_needs_is_voided_after_them(tree, users):
    talk = _symposium(tree.qxg, users.qxg_liaison)
    need = make_need(talk, users.qxg_liaison)
    with pytest.raises(ActivityError, match="1 项诉求尚未作废"):
        services.void_activity(talk, by=users.qxg_liaison, reason="重复")
    services.void_need(need, by=users.qxg_liaison, reason="重复登记")
    services.void_activity(talk, by=users.qxg_liaison, reason="重复")
    with pytest.raises(ActivityError, match="请先恢复座谈会"):
        services.restore_need(need, by=users.qxg_admin)
    assert Need.objects.get().is_voided and Activity.objects.get().is_voided


# --- needs


def test_a_voided_need_counts_nowhere_and_is_not_handled(tree, users):
    talk = _symposium(tree.qxg_town, users.qxg_liaison)
    kept = make_need(talk, users.qxg_liaison, due_date=dt.date(2020, 1, 1))
    voided = make_need(talk, users.qxg_liaison, org=tree.qxg, due_date=dt.date(2020, 1, 1), description="重复的")
    services.void_need(voided, by=users.qxg_liaison, reason="与上一条重复")
    assert selectors.need_counts(tree.qxg) == {"total": 1, "open": 1, "overdue": 1, "resolved": 0, "unresolvable": 0}
    assert [(r.org, r.open) for r in selectors.need_board(tree.qxg)] == [(tree.qxg_town, 1)]
    assert list(Need.objects.filter(Need.overdue_q())) == [kept]
    with pytest.raises(ActivityError, match="已作废"):
        services.start_need(voided, by=users.qxg_admin)
    with pytest.raises(ActivityError, match="已作废"):
        services.add_need_note(voided, by=users.qxg_admin, note="跟进")
    audit = AuditEntry.objects.get(object_id=voided.pk, action="activities.need.voided")
    assert (audit.reason, audit.from_state, audit.to_state) == ("与上一条重复", "登记", "已作废")
    with pytest.raises(PermissionDenied):
        services.restore_need(voided, by=users.qxg_liaison)
    services.restore_need(voided, by=users.qxg_admin)
    assert selectors.need_counts(tree.qxg)["total"] == 2


def test_needs_list_hides_voided_unless_asked(client_for, tree, users):
    talk = _symposium(tree.qxg, users.qxg_liaison)
    make_need(talk, users.qxg_liaison, description="要技能培训")
    voided = make_need(talk, users.qxg_liaison, description="误登记的诉求")
    services.void_need(voided, by=users.qxg_liaison, reason="误登记")
    client = client_for(users.qxg_liaison)
    listed = client.get(reverse("activities:needs"))
    assert [n.description for n in listed.context["page"]] == ["要技能培训"]
    assert listed.context["counts"]["total"] == 1
    only_voided = client.get(reverse("activities:needs"), {"state": "voided"})
    assert [n.description for n in only_voided.context["page"]] == ["误登记的诉求"]
    assert "已作废" in only_voided.content.decode()


# --- attendees


def test_a_voided_attendee_leaves_the_roster_and_is_restored_by_an_admin(tree, users):
    talk = _symposium(tree.qxg, users.qxg_liaison)
    wang = services.add_attendee(talk, by=users.qxg_liaison, name="王芳", category=Attendee.Category.ENTREPRENEUR)
    li = services.add_attendee(talk, by=users.qxg_liaison, name="李娜", category=Attendee.Category.OTHER)
    services.void_attendee(li, by=users.qxg_liaison, reason="未到会")
    assert list(selectors.roster(talk)) == [wang]
    assert list(NeedForm(viewer_org=tree.qxg, activity=talk).fields["raised_by_attendee"].queryset) == [wang]
    audit = AuditEntry.objects.get(object_id=talk.pk, action="activities.attendee.voided")
    assert (audit.reason, audit.data) == ("未到会", {"name": "李娜", "attendee": li.pk})
    with pytest.raises(PermissionDenied):
        services.restore_attendee(li, by=users.qxg_liaison)
    services.restore_attendee(li, by=users.qxg_admin)
    assert list(selectors.roster(talk)) == [wang, li]


# --- pages


def test_void_and_restore_through_the_pages(client_for, tree, users, campaign):
    entry = _record(tree.qxg, users.qxg_liaison, campaign=campaign)
    url = reverse("activities:detail", args=[entry.pk])
    void_url = reverse("activities:void", args=[entry.pk])
    liaison = client_for(users.qxg_liaison)
    assert void_url in liaison.get(url).content.decode()
    empty = liaison.post(void_url, {"action": "void", "reason": ""}, follow=True)
    assert "请填写作废原因" in empty.content.decode()
    assert not Activity.objects.get().is_voided
    done = liaison.post(void_url, {"action": "void", "reason": "与 3 月 5 日那条重复"}, follow=True)
    body = done.content.decode()
    assert "已作废，不再计入任何统计" in body and "原因：与 3 月 5 日那条重复" in body
    assert "作废台账" in body  # in the entry's history
    assert "恢复" not in body.split('data-testid="voided"')[1].split("</div>\n</div>")[0]  # a liaison cannot
    assert liaison.get(reverse("activities:edit", args=[entry.pk]))["Location"] == url
    assert liaison.post(void_url, {"action": "restore"}).status_code == 403
    admin = client_for(users.qxg_admin)
    assert 'value="restore"' in admin.get(url).content.decode()
    admin.post(void_url, {"action": "restore"})
    assert not Activity.objects.get().is_voided
    assert client_for(users.city_reviewer).post(void_url, {"action": "void", "reason": "x"}).status_code == 403


def test_ledger_lists_voided_entries_only_under_the_voided_filter(client_for, tree, users):
    _record(tree.qxg, users.qxg_liaison, title="有效的宣讲")
    voided = _record(tree.qxg, users.qxg_liaison, title="作废的宣讲", place="别处")
    services.void_activity(voided, by=users.qxg_liaison, reason="重复")
    client = client_for(users.qxg_liaison)

    def titles(**params):
        return [a.title for a in client.get(reverse("activities:list"), params).context["page"]]

    assert titles() == ["有效的宣讲"]
    assert titles(voided="voided") == ["作废的宣讲"]
    assert sorted(titles(voided="all")) == ["作废的宣讲", "有效的宣讲"]
    body = client.get(reverse("activities:list"), {"voided": "voided"}).content.decode()
    assert '<span class="badge text-bg-dark">已作废</span>' in body


def _export_rows(client, **params) -> list[list]:
    return export_rows(client.get(reverse("activities:export"), params).content)[1:]


def test_every_count_drops_a_voided_entry_exactly(client_for, tree, users, campaign):
    """The board, its records page, the coverage page and the ledger export agree before a void,
    after it, and after the restore (85 people in 2 events → 40 in 1 → 85 in 2)."""
    kept = _record(tree.qxg_town, users.qxg_liaison, campaign=campaign, participants_total=40)
    twice = _record(
        tree.qxg_town, users.qxg_liaison, campaign=campaign, title="重复的宣讲", place="别处", participants_total=45
    )
    city = client_for(users.city_admin)

    def figures() -> dict:
        board = city.get(reverse("dashboard:board"), {"campaign": campaign.pk}).context["board"]
        qxg_row = next(r for r in board.rows if r.org == tree.qxg)
        records = city.get(reverse("dashboard:records"), {"campaign": campaign.pk, "kind": "events"})
        coverage = city.get(reverse("activities:coverage"), {"campaign": campaign.pk}).context["data"]
        export = _export_rows(city, campaign=campaign.pk, voided="all")  # asked for all: still only what counts
        return {
            "board": (board.total.events, board.total.participants, qxg_row.events, qxg_row.participants),
            "board_days": [(d["events"], d["participants"]) for d in board.daily],
            "records": sorted(a.pk for a in records.context["page"]),
            "coverage": (coverage.total.events, coverage.total.people),
            "export": sorted((r[2], r[9]) for r in export),
        }

    both = {
        "board": (2, 85, 2, 85),
        "board_days": [(2, 85)],
        "records": sorted([kept.pk, twice.pk]),
        "coverage": (2, 85),
        "export": [("妇女权益保障法宣讲", 40), ("重复的宣讲", 45)],
    }
    assert figures() == both
    services.void_activity(twice, by=users.qxg_liaison, reason="同一场活动记了两次")
    assert figures() == {
        "board": (1, 40, 1, 40),
        "board_days": [(1, 40)],
        "records": [kept.pk],
        "coverage": (1, 40),
        "export": [("妇女权益保障法宣讲", 40)],
    }
    services.restore_activity(twice, by=users.city_admin)
    assert figures() == both
