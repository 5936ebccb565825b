"""The demo essay contest's judging, made through the judging services (scoping disabled).

Five judges: the city reviewer (chief judge), the city office, the 七星关区 administrator (who never
gets 七星关区's entries), the education bureau's women's committee, and an external expert of the
writers' association with a personal link. Two rounds:

- 初评, closed: every recommended entry, three judges each, mean; the top twelve of each category
  proposed and confirmed (one change, with a reason).
- 复评, open: the advanced entries, three judges each, trimmed mean, peer scores visible after
  one's own; scores in every state — submitted, draft, not started, one unlocked by the chief judge
  with a reason, and one far from the others (an outlier flag for the chief judge).

The external judge's link is fixed for the demo, like the demo password: ``/contests/j/<DEMO_JUDGE_TOKEN>/``.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.contests import judging
from jinguo.contests.models import Advancement, Assignment, Contest, Judge, Round, Score
from jinguo.orgs.models import Org

DEMO_JUDGE_TOKEN = "demo-zhao-laoshi-2023"  # noqa: S105 - the published link of the local demo's external judge
RUBRIC = [("内容", 50), ("结构", 25), ("语言", 25)]
COMMENTS = [
    "立意鲜明，情感真挚。",
    "结构清楚，语言还可以更凝练。",
    "素材生动，结尾略显仓促。",
    "主题突出，细节打动人。",
    "",
]


def _points(rng: random.Random, round_: Round, quality: float, leniency: float) -> dict[str, float]:
    points = {}
    for criterion in judging.rubric(round_):
        share = min(1.0, max(0.3, quality + leniency + rng.gauss(0, 0.05)))
        points[str(criterion.id)] = round(criterion.max_points * share * 2) / 2
    return points


def load_demo_judging(contest: Contest, *, seed: int = 2023) -> None:
    """Judges, two rounds and their scores for the demo essay contest (status 评审中)."""
    rng = random.Random(seed)
    admin = User.objects.get(username="sj_admin")
    now = timezone.now()
    first = judging.save_round(
        contest,
        by=admin,
        name="初评",
        judges_per_entry=3,
        aggregation=Round.Aggregation.MEAN,
        names_visible=False,
        peer_scores=Round.PeerScores.AFTER_CLOSE,
        advance_rule=Round.AdvanceRule.TOP_N_PER_CATEGORY,
        advance_value=Decimal(12),
        deadline=now - dt.timedelta(days=1),
        criteria=RUBRIC,
    )
    second = judging.save_round(
        contest,
        by=admin,
        name="复评",
        judges_per_entry=3,
        aggregation=Round.Aggregation.TRIMMED,
        names_visible=False,
        peer_scores=Round.PeerScores.AFTER_OWN,
        advance_rule=Round.AdvanceRule.TOP_N_PER_CATEGORY,
        advance_value=Decimal(3),
        deadline=now + dt.timedelta(days=7),
        criteria=RUBRIC,
    )
    rounds = [first, second]
    staff = [
        ("sj_review", True),
        ("sj_office", False),
        ("qxg_admin", False),
        ("jyj_lly", False),
    ]
    judges = [
        judging.save_judge(contest, by=admin, name="", user=User.objects.get(username=u), is_chief=chief, rounds=rounds)
        for u, chief in staff
    ]
    expert = judging.save_judge(
        contest,
        by=admin,
        name="赵文华",
        affiliation="毕节市作家协会",
        rounds=rounds,
        conflicts=[Org.objects.get(name="织金县妇联")],  # declared: a relative's unit
    )
    judging.issue_judge_link(expert, by=admin)
    Judge.objects.filter(pk=expert.pk).update(token_hash=judging.hash_token(DEMO_JUDGE_TOKEN))
    judges.append(expert)
    leniency = {j.pk: rng.uniform(-0.08, 0.08) for j in judges}
    quality = {}

    # 初评: everything submitted, then closed and confirmed with one change.
    judging.assign_round(first, by=admin)
    judging.open_round(first, by=admin)
    first.refresh_from_db()
    for a in Assignment.objects.filter(round=first).select_related("judge").order_by("id"):
        q = quality.setdefault(a.entry_id, rng.uniform(0.55, 0.9))
        judging.save_score(
            a,
            judge=a.judge,
            points=_points(rng, first, q, leniency[a.judge_id]),
            comment=rng.choice(COMMENTS),
            submit=True,
        )
    judging.close_round(first, by=admin)
    proposed = set(Advancement.objects.filter(round=first, advanced=True).values_list("entry_id", flat=True))
    dropped = max(proposed)  # the organiser takes one out, with the reason recorded
    judging.confirm_advancement(
        first, by=admin, advanced=proposed - {dropped}, reason="复核发现与其他作品雷同，待查重后再议"
    )

    # 复评: open, scores in every state.
    first.refresh_from_db()
    judging.assign_round(second, by=admin)
    judging.open_round(second, by=admin)
    second.refresh_from_db()
    assignments = list(Assignment.objects.filter(round=second).select_related("judge").order_by("entry_id", "judge_id"))
    outlier_entry = assignments[0].entry_id
    for i, a in enumerate(assignments):
        points = _points(rng, second, quality[a.entry_id], leniency[a.judge_id])
        if a.entry_id == outlier_entry:
            # Two judges agree; the third is far below them (flagged for the chief judge).
            low = a == assignments[2]
            points = {k: round(v * (0.4 if low else 1.0) * 2) / 2 for k, v in points.items()}
            judging.save_score(a, judge=a.judge, points=points, comment="偏题。" if low else "", submit=True)
            continue
        state = i % 5
        if state in (0, 1, 2):
            judging.save_score(a, judge=a.judge, points=points, comment=rng.choice(COMMENTS), submit=True)
        elif state == 3:
            partial = dict(list(points.items())[:2])
            judging.save_score(a, judge=a.judge, points=partial, comment="初读，待细看。", submit=False)
        # state 4: not started
    # One submitted score unlocked by the chief judge, waiting to be submitted again.
    chief = judges[0]
    unlocked = (
        Score.objects.filter(assignment__round=second, status=Score.Status.SUBMITTED)
        .exclude(assignment__judge=chief)
        .exclude(assignment__entry_id=outlier_entry)
        .order_by("id")
        .first()
    )
    judging.unlock_score(unlocked, chief=chief, reason="评委反映“语言”一项误填，申请修改")
