import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from jinguo.audit.models import AuditEntry
from jinguo.contests import judging
from jinguo.contests.judging import JudgingError
from jinguo.contests.models import Advancement, Assignment, Award, Contest, Judge, Round, Score
from jinguo.notifications.models import Notification
from tests.contests.judging_helpers import entries_from, make_judge, make_round, points_for
from tests.factories import UserFactory


@pytest.fixture
def setup(tree, users, contest):
    """Round 1 with four judges: a 七星关 staff judge, a city staff judge (the organiser's unit, chief)
    and two external experts; two entries from each county; two judges per entry."""
    round_ = make_round(contest, users.city_admin)
    qxg_judge = make_judge(contest, users.city_admin, round_, user=users.qxg_admin)
    city_judge = make_judge(contest, users.city_admin, round_, user=users.city_reviewer, is_chief=True)
    expert = make_judge(contest, users.city_admin, round_, name="赵老师")
    make_judge(contest, users.city_admin, round_, name="钱老师")
    entries = entries_from(contest, tree)
    return round_, (qxg_judge, city_judge, expert), entries


def pairs(round_):
    return set(Assignment.objects.filter(round=round_).values_list("judge_id", "entry_id"))


def test_assign_round_keeps_judges_off_their_own_subtree_and_is_balanced(users, setup):
    round_, (qxg_judge, city_judge, expert), entries = setup

    added = judging.assign_round(round_, by=users.city_admin)

    assert added == 8
    got = pairs(round_)
    # Two entries each; the 七星关 judge can only take 大方县's two.
    assert {entry for judge, entry in got if judge == qxg_judge.pk} == {e.pk for e in entries[2:]}
    assert sorted(Counter(judge for judge, _ in got).values()) == [2, 2, 2, 2]
    assert Counter(entry for _, entry in got) == {e.pk: 2 for e in entries}
    run = AuditEntry.objects.get(action="contests.round.assigned")
    assert sorted(map(tuple, run.data["pairs"])) == sorted((entry, judge) for judge, entry in got)


def test_assign_round_judge_of_the_organisers_unit_avoids_only_that_units_own_entries(tree, users, contest, setup):
    round_, (qxg_judge, city_judge, expert), entries = setup
    from tests.contests.conftest import make_entry

    city_entry = make_entry(
        contest, org=tree.city, author_name="市直作者", author_phone="13600000000", recommended=True
    )

    judging.assign_round(round_, by=users.city_admin)

    city_judges_entries = {entry for judge, entry in pairs(round_) if judge == city_judge.pk}
    assert city_entry.pk not in city_judges_entries
    assert city_judges_entries  # city entries aside, the city judge still judges the counties' entries


def test_assign_round_declared_conflict_is_avoided(tree, users, contest, setup):
    round_, (qxg_judge, city_judge, expert), entries = setup
    expert.conflicts.set([tree.dafang])

    judging.assign_round(round_, by=users.city_admin)

    assert {entry for judge, entry in pairs(round_) if judge == expert.pk} == {e.pk for e in entries[:2]}


def test_assign_round_too_few_judges_says_why(tree, users, contest, setup):
    round_, (qxg_judge, city_judge, expert), entries = setup
    expert.conflicts.set([tree.qxg])
    Judge.objects.get(name="钱老师").conflicts.set([tree.qxg_town])

    with pytest.raises(JudgingError, match="回避后只有 1 位评委可评"):
        judging.assign_round(round_, by=users.city_admin)
    assert pairs(round_) == set()


def test_assign_round_rerun_keeps_existing_and_fills_new_entries(tree, users, contest, setup):
    round_, judges, entries = setup
    judging.assign_round(round_, by=users.city_admin)
    before = pairs(round_)
    from tests.contests.conftest import make_entry

    make_entry(contest, org=tree.dafang, author_name="新作者", author_phone="13500000000", recommended=True)

    assert judging.assign_round(round_, by=users.city_admin) == 2
    assert before < pairs(round_)


def test_swap_judge_moves_an_assignment_and_is_audited(users, setup):
    round_, (qxg_judge, city_judge, expert), entries = setup
    judging.assign_round(round_, by=users.city_admin)
    dafang_entry = entries[2]
    current = set(Assignment.objects.filter(round=round_, entry=dafang_entry).values_list("judge_id", flat=True))
    leaving = next(j for j in (qxg_judge, city_judge, expert) if j.pk in current)
    coming = next(j for j in (qxg_judge, city_judge, expert) if j.pk not in current)
    assignment = Assignment.objects.get(round=round_, entry=dafang_entry, judge=leaving)

    judging.swap_judge(assignment, to=coming, by=users.city_admin, reason="身体不适")

    assert set(Assignment.objects.filter(round=round_, entry=dafang_entry).values_list("judge_id", flat=True)) == (
        current - {leaving.pk}
    ) | {coming.pk}
    entry = AuditEntry.objects.get(action="contests.assignment.swapped")
    assert (entry.from_state, entry.to_state, entry.reason) == (leaving.name, coming.name, "身体不适")


def test_swap_judge_refuses_a_conflict(users, setup):
    round_, (qxg_judge, city_judge, expert), entries = setup
    judging.assign_round(round_, by=users.city_admin)
    assignment = Assignment.objects.filter(round=round_, entry=entries[0]).exclude(judge=qxg_judge).first()

    with pytest.raises(JudgingError, match="需要回避"):
        judging.swap_judge(assignment, to=qxg_judge, by=users.city_admin)


def open_setup(users, setup):
    round_, judges, entries = setup
    judging.assign_round(round_, by=users.city_admin)
    judging.open_round(round_, by=users.city_admin)
    round_.refresh_from_db()
    return round_, judges, entries


def test_open_round_tells_staff_judges(users, setup):
    round_, judges, entries = open_setup(users, setup)

    assert round_.status == Round.Status.OPEN
    assert round_.contest.status == Contest.Status.JUDGING
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["city_reviewer", "qxg_admin"]


def test_save_score_draft_then_submit_locks(users, setup):
    round_, (qxg_judge, city_judge, expert), entries = open_setup(users, setup)
    assignment = Assignment.objects.filter(judge=expert).first()

    draft = judging.save_score(
        assignment, judge=expert, points={str(judging.rubric(round_)[0].id): 40}, comment="", submit=False
    )
    assert (draft.status, draft.total) == (Score.Status.DRAFT, None)
    with pytest.raises(JudgingError, match="请给「结构、语言」打分后再提交"):
        judging.save_score(assignment, judge=expert, points=draft.points, comment="", submit=True)

    score = judging.save_score(
        assignment, judge=expert, points=points_for(round_, 40, 20, 21.5), comment="立意好", submit=True
    )

    assert (score.status, score.total, score.comment) == (Score.Status.SUBMITTED, Decimal("81.50"), "立意好")
    with pytest.raises(JudgingError, match="已提交并锁定"):
        judging.save_score(assignment, judge=expert, points=points_for(round_, 50, 25, 25), comment="", submit=True)
    assert AuditEntry.objects.filter(action="contests.score.submitted").count() == 1


def test_save_score_refuses_out_of_range_and_another_judges_assignment(users, setup):
    round_, (qxg_judge, city_judge, expert), entries = open_setup(users, setup)
    assignment = Assignment.objects.filter(judge=expert).first()

    with pytest.raises(JudgingError, match="「内容」的分数应在 0 到 50 之间"):
        judging.save_score(assignment, judge=expert, points=points_for(round_, 60, 20, 20), comment="", submit=False)
    with pytest.raises(JudgingError, match="没有分配给您"):
        judging.save_score(assignment, judge=city_judge, points=points_for(round_, 40, 20, 20), comment="", submit=True)
    assert not Score.objects.exists()


def test_unlock_score_by_chief_with_reason(users, setup):
    round_, (qxg_judge, city_judge, expert), entries = open_setup(users, setup)
    assignment = Assignment.objects.filter(judge=expert).first()
    score = judging.save_score(assignment, judge=expert, points=points_for(round_, 40, 20, 20), comment="", submit=True)

    with pytest.raises(JudgingError, match="只有本赛事的评委组长"):
        judging.unlock_score(score, chief=qxg_judge, reason="误操作")
    with pytest.raises(JudgingError, match="请填写解锁原因"):
        judging.unlock_score(score, chief=city_judge, reason=" ")
    judging.unlock_score(score, chief=city_judge, reason="评委误填")

    score.refresh_from_db()
    assert (score.status, score.unlocked_by, score.unlock_reason) == (
        Score.Status.DRAFT,
        users.city_reviewer,
        "评委误填",
    )
    assert AuditEntry.objects.get(action="contests.score.unlocked").reason == "评委误填"
    judging.save_score(assignment, judge=expert, points=points_for(round_, 45, 20, 20), comment="", submit=True)


def score_all(round_, totals_by_entry):
    """Every assignment submitted; each entry's judges give the listed content points in turn."""
    for entry_pk, values in totals_by_entry.items():
        for assignment, content in zip(
            Assignment.objects.filter(round=round_, entry_id=entry_pk).order_by("judge_id"), values, strict=True
        ):
            judging.save_score(
                assignment, judge=assignment.judge, points=points_for(round_, content, 20, 20), comment="", submit=True
            )


def test_progress_and_reminders_count_what_is_behind(users, setup):
    round_, (qxg_judge, city_judge, expert), entries = open_setup(users, setup)
    first = Assignment.objects.filter(judge=qxg_judge).first()
    judging.save_score(first, judge=qxg_judge, points=points_for(round_, 40, 20, 20), comment="", submit=True)
    Notification.objects.all().delete()

    rows = {p.judge.pk: (p.assigned, p.submitted, p.drafts) for p in judging.progress(round_)}
    assigned = Counter(Assignment.objects.filter(round=round_).values_list("judge_id", flat=True))
    assert rows[qxg_judge.pk] == (assigned[qxg_judge.pk], 1, 0)
    assert rows[expert.pk] == (assigned[expert.pk], 0, 0)

    sent = judging.remind_judges(round_, by=users.city_admin)

    assert sent == 2  # the two staff judges; the expert is listed for the organiser instead
    titles = dict(Notification.objects.values_list("recipient__username", "title"))
    assert f"还有 {assigned[qxg_judge.pk] - 1} 件作品待您提交评分" in titles["qxg_admin"]


def test_close_round_ranks_proposes_and_confirmation_needs_a_reason_to_differ(users, setup):
    round_, judges, entries = open_setup(users, setup)
    e1, e2, e3, e4 = entries
    score_all(round_, {e1.pk: [40, 44], e2.pk: [30, 30], e3.pk: [48, 50], e4.pk: [40, 44]})

    judging.close_round(round_, by=users.city_admin)

    rows = {a.entry_id: (float(a.score), a.rank, a.advanced) for a in Advancement.objects.filter(round=round_)}
    # All in one category (散文): e3 first; e1 and e4 tie for second and both advance (top 2).
    assert rows == {
        e3.pk: (89.0, 1, True),
        e1.pk: (82.0, 2, True),
        e4.pk: (82.0, 2, True),
        e2.pk: (70.0, 4, False),
    }
    with pytest.raises(JudgingError, match="请填写调整理由"):
        judging.confirm_advancement(round_, by=users.city_admin, advanced={e3.pk, e1.pk})
    judging.confirm_advancement(round_, by=users.city_admin, advanced={e3.pk, e1.pk}, reason="名额有限")

    next_round = make_round(round_.contest, users.city_admin, name="复评")
    assert sorted(judging.round_entries(next_round).values_list("pk", flat=True)) == sorted([e1.pk, e3.pk])


def test_close_round_drafts_do_not_count(users, setup):
    round_, judges, entries = open_setup(users, setup)
    e1 = entries[0]
    a1, a2 = Assignment.objects.filter(round=round_, entry=e1).order_by("judge_id")
    judging.save_score(a1, judge=a1.judge, points=points_for(round_, 40, 20, 20), comment="", submit=True)
    judging.save_score(a2, judge=a2.judge, points=points_for(round_, 10, 5, 5), comment="", submit=False)

    judging.close_round(round_, by=users.city_admin)

    assert Advancement.objects.get(round=round_, entry=e1).score == Decimal("80.000")
    assert Advancement.objects.filter(round=round_, rank__isnull=True).count() == 3


def test_awards_proposed_confirmed_with_override_and_published(users, setup):
    round_, judges, entries = open_setup(users, setup)
    e1, e2, e3, e4 = entries
    score_all(round_, {e1.pk: [40, 44], e2.pk: [30, 30], e3.pk: [48, 50], e4.pk: [41, 44]})
    judging.close_round(round_, by=users.city_admin)
    contest = round_.contest

    judging.propose_contest_awards(contest, by=users.city_admin, quotas=(("first", 1), ("second", 1), ("third", 1)))

    levels = dict(Award.objects.values_list("entry_id", "level"))
    assert levels == {e3.pk: "first", e4.pk: "second", e1.pk: "third"}
    with pytest.raises(JudgingError, match="需要填写理由"):
        judging.confirm_awards(contest, by=users.city_admin, overrides={e1.pk: ("", "")})
    with pytest.raises(JudgingError, match="请先确认获奖名单"):
        judging.publish_results(contest, by=users.city_admin)

    judging.confirm_awards(contest, by=users.city_admin, overrides={e1.pk: ("", "存在抄袭嫌疑")})
    judging.publish_results(contest, by=users.city_admin)

    contest.refresh_from_db()
    assert contest.results_published_at is not None
    assert [(a.entry_id, a.level) for a in judging.awards_of(contest, published_only=True)] == [
        (e3.pk, "first"),
        (e4.pk, "second"),
    ]
    override = AuditEntry.objects.get(action="contests.award.overridden")
    assert (override.from_state, override.to_state, override.reason) == ("third", "none", "存在抄袭嫌疑")


def test_organisation_tallies_count_each_countys_subtree(tree, users, setup):
    round_, judges, entries = open_setup(users, setup)
    e1, e2, e3, e4 = entries
    score_all(round_, {e1.pk: [40, 44], e2.pk: [30, 30], e3.pk: [48, 50], e4.pk: [41, 44]})
    judging.close_round(round_, by=users.city_admin)
    judging.propose_contest_awards(round_.contest, by=users.city_admin, quotas=(("first", 1),))

    rows = judging.organisation_tallies(round_.contest)

    assert [(r.unit, r.points, r.submitted, r.proposed) for r in rows] == [
        (tree.dafang.pk, 5, 2, True),
        (tree.qxg.pk, 0, 2, False),
    ]


def test_judge_link_works_until_revoked_or_expired(users, contest, setup):
    round_, (qxg_judge, city_judge, expert), entries = setup
    round_.deadline = timezone.now() + dt.timedelta(days=3)
    round_.save()

    token = judging.issue_judge_link(expert, by=users.city_admin)

    expert.refresh_from_db()
    assert expert.token_hash == judging.hash_token(token) != token
    assert expert.token_expires_at == round_.deadline
    assert judging.judge_for_token(token) == expert
    assert judging.judge_for_token(token + "x") is None
    judging.revoke_judge_link(expert, by=users.city_admin)
    assert judging.judge_for_token(token) is None

    token = judging.issue_judge_link(expert, by=users.city_admin)
    Judge.objects.filter(pk=expert.pk).update(token_expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert judging.judge_for_token(token) is None
    with pytest.raises(JudgingError):
        judging.issue_judge_link(qxg_judge, by=users.city_admin)


def test_save_judge_refuses_the_same_user_twice(users, contest, setup):
    round_, judges, entries = setup
    with pytest.raises(JudgingError, match="已经是本赛事的评委"):
        make_judge(contest, users.city_admin, round_, user=users.qxg_admin)
    assert UserFactory  # the factory is imported for the staff judges of other tests


def test_awards_wait_for_the_last_round(users, setup):
    round_, judges, entries = open_setup(users, setup)
    score_all(round_, {e.pk: [40, 44] for e in entries})
    judging.close_round(round_, by=users.city_admin)
    make_round(round_.contest, users.city_admin, name="终评")

    with pytest.raises(JudgingError, match="“终评”尚未结束"):
        judging.propose_contest_awards(round_.contest, by=users.city_admin)
    assert not Award.objects.exists()


def test_a_moved_round_deadline_moves_the_live_links(users, contest, setup):
    round_, (qxg_judge, city_judge, expert), entries = setup
    judging.issue_judge_link(expert, by=users.city_admin)
    later = timezone.now() + dt.timedelta(days=20)

    make_round(contest, users.city_admin) if False else None
    judging.save_round(
        contest, round_, by=users.city_admin, name="初评", judges_per_entry=2, aggregation="mean",
        names_visible=False, peer_scores="never", advance_rule="top_n", advance_value=Decimal(2),
        deadline=later, criteria=[("内容", 50), ("结构", 25), ("语言", 25)],
    )  # fmt: skip

    expert.refresh_from_db()
    assert expert.token_expires_at == later
