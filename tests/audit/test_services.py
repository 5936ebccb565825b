"""``log_action`` writes one entry, ``log_actions`` many in bulk: the same rows either way."""

from __future__ import annotations

from jinguo.audit.models import AuditEntry
from jinguo.audit.services import Logged, log_action, log_actions
from jinguo.orgs.models import Org

FIELDS = ("actor", "actor_name", "org", "action", "content_type", "object_id", "from_state", "to_state", "reason")


def _rows(action: str) -> list[tuple]:
    return list(AuditEntry.objects.filter(action=action).order_by("object_id").values_list(*FIELDS, "data"))


def test_log_actions_writes_the_rows_log_action_writes(tree, users):
    units = [tree.qxg, tree.dafang]
    for unit in units:
        log_action(unit, "test.one", by=users.city_admin, org=unit, from_state="甲", to_state="乙", data={"n": 1})

    written = log_actions(
        Org,
        "test.bulk",
        [Logged(object_id=u.pk, org_id=u.pk, from_state="甲", to_state="乙", data={"n": 1}) for u in units],
        by=users.city_admin,
    )

    assert written == 2
    one = [row[:3] + row[4:] for row in _rows("test.one")]
    bulk = [row[:3] + row[4:] for row in _rows("test.bulk")]
    assert bulk == one
    assert [row[1] for row in bulk] == ["市妇联管理员", "市妇联管理员"]


def test_log_actions_without_a_signed_in_actor_names_the_system_and_cuts_long_states(tree):
    log_actions(Org, "test.bulk", [Logged(object_id=tree.qxg.pk, org_id=tree.qxg.pk, to_state="长" * 120)], by=None)

    entry = AuditEntry.objects.get(action="test.bulk")
    assert (entry.actor, entry.actor_name, entry.to_state, entry.data) == (None, "系统", "长" * 100, {})


def test_log_actions_of_nothing_writes_nothing(tree, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert log_actions(Org, "test.bulk", [], by=None) == 0
