"""Rounds, judges, assignment, scores, closing a round, awards and results: the writes (services)
and the reads (selectors) of judging. The rules themselves (assignment, totals, aggregation,
outliers, ranking, awards) are plain functions in ``assignment.py`` and ``scoring.py``.

Who may do what:
- the organiser (``rules.is_organiser``) sets up rounds and judges, assigns, swaps, opens, reminds,
  closes, confirms advancements and awards, and publishes;
- a judge (a ``Judge`` row: a staff user, or an external expert through a personal link) scores the
  entries assigned to them, and nothing else; the chief judge (``is_chief``) also sees outlier flags
  and unlocks a submitted score with a reason.

Judges never read through the scoped managers of entries: every judge-facing read starts from the
judge's own assignments, inside ``scopes_disabled()`` (a county's staff judge of a city contest
could otherwise not see the city's rows, and an external judge has no unit at all). Every state
change writes one audit entry inside its transaction; notifications are sent after.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from jinguo.audit.services import log_action
from jinguo.contests import scoring
from jinguo.contests.assignment import AssignmentImpossible, assign
from jinguo.contests.models import (
    Advancement,
    Assignment,
    Award,
    Category,
    Contest,
    Criterion,
    Entry,
    Judge,
    Round,
    Score,
)
from jinguo.lib.scoping import scopes_disabled
from jinguo.notifications.models import Notification
from jinguo.notifications.services import notify_users

LINK_DAYS_WITHOUT_DEADLINE = 30
AWARD_ORDER = [Award.Level.FIRST, Award.Level.SECOND, Award.Level.THIRD, Award.Level.EXCELLENT]


class JudgingError(ValueError):
    """A change that cannot be made; the message (Chinese) is shown to the user."""


# ---------------------------------------------------------------------------------------------
# Rounds and their rubric


def save_round(
    contest: Contest,
    round: Round | None = None,
    *,
    by,
    name: str,
    judges_per_entry: int,
    aggregation: str,
    names_visible: bool,
    peer_scores: str,
    advance_rule: str,
    advance_value: Decimal | None,
    deadline=None,
    criteria: Sequence[tuple[str, int]],
) -> Round:
    """Create a round (numbered after the last) or change one not yet open, with its rubric
    (``criteria``: (name, max points) in order, replacing the old ones). Audited."""
    if round is not None and round.status != Round.Status.SETUP:
        raise JudgingError("评审已开始的轮次不能再修改设置。")
    if not criteria:
        raise JudgingError("请至少设置一个评分项。")
    if judges_per_entry < 1:
        raise JudgingError("每件作品的评委人数至少为 1。")
    with transaction.atomic():
        if round is None:
            last = contest.rounds.order_by("-number").first()
            round = Round(contest=contest, number=(last.number + 1) if last else 1, seed=secrets.randbelow(10**6))
        round.name = name
        round.judges_per_entry = judges_per_entry
        round.aggregation = aggregation
        round.names_visible = names_visible
        round.peer_scores = peer_scores
        round.advance_rule = advance_rule
        round.advance_value = advance_value
        round.deadline = deadline
        created = round.pk is None
        round.save()
        round.criteria.all().delete()
        Criterion.objects.bulk_create(
            Criterion(round=round, name=criterion_name, max_points=points, order=position)
            for position, (criterion_name, points) in enumerate(criteria)
        )
        log_action(
            round,
            "contests.round.created" if created else "contests.round.changed",
            by=by,
            org=contest.owner,
            data={"criteria": [list(c) for c in criteria], "judges_per_entry": judges_per_entry},
        )
        # Live links expire with their judge's last round: a moved deadline moves them too.
        for judge in round.judges.filter(user__isnull=True, revoked_at__isnull=True).exclude(token_hash=""):
            judge.token_expires_at = _link_expiry(judge)
            judge.save(update_fields=["token_expires_at"])
    return round


# ---------------------------------------------------------------------------------------------
# Judges and their links


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def save_judge(
    contest: Contest,
    judge: Judge | None = None,
    *,
    by,
    name: str,
    affiliation: str = "",
    user=None,
    org=None,
    is_chief: bool = False,
    rounds: Iterable[Round] = (),
    conflicts: Iterable = (),
) -> Judge:
    """Add or change a judge: a staff ``user`` (their unit is ``org``), or an external expert
    (no user; give them a link with ``issue_judge_link``). Audited."""
    if user is not None:
        org = user.org
        name = name or user.display_name
        clash = Judge.objects.filter(contest=contest, user=user).exclude(pk=getattr(judge, "pk", None))
        if clash.exists():
            raise JudgingError(f"{user.display_name} 已经是本赛事的评委。")
    if not name.strip():
        raise JudgingError("请填写评委姓名。")
    with transaction.atomic():
        created = judge is None
        judge = judge or Judge(contest=contest)
        judge.name, judge.affiliation, judge.user, judge.org, judge.is_chief = (
            name.strip(),
            affiliation,
            user,
            org,
            is_chief,
        )
        judge.save()
        judge.rounds.set(list(rounds))
        judge.conflicts.set(list(conflicts))
        log_action(
            judge,
            "contests.judge.added" if created else "contests.judge.changed",
            by=by,
            org=contest.owner,
            data={"conflicts": sorted(o.pk for o in conflicts), "rounds": sorted(r.pk for r in rounds)},
        )
    return judge


def _link_expiry(judge: Judge):
    deadlines = [r.deadline for r in judge.rounds.all() if r.deadline]
    return max(deadlines) if deadlines else timezone.now() + timedelta(days=LINK_DAYS_WITHOUT_DEADLINE)


def issue_judge_link(judge: Judge, *, by) -> str:
    """A new personal link token for an external judge, returned once: only its hash is kept. It
    expires with the judge's last round (or in 30 days with no deadline set); any older link stops
    working. Audited."""
    if judge.user_id is not None:
        raise JudgingError("本单位工作人员登录系统评审，不需要专用链接。")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        judge.token_hash = hash_token(token)
        judge.token_expires_at = _link_expiry(judge)
        judge.revoked_at = None
        judge.save(update_fields=["token_hash", "token_expires_at", "revoked_at"])
        log_action(judge, "contests.judge.link_issued", by=by, org=judge.contest.owner)
    return token


def revoke_judge_link(judge: Judge, *, by) -> None:
    """The link stops working at once. Audited."""
    with transaction.atomic():
        judge.revoked_at = timezone.now()
        judge.save(update_fields=["revoked_at"])
        log_action(judge, "contests.judge.link_revoked", by=by, org=judge.contest.owner)


def judge_for_token(token: str) -> Judge | None:
    """The external judge a link belongs to, if it is live (not revoked, not expired)."""
    if not token or len(token) > 100:
        return None
    with scopes_disabled():  # an external judge has no account and no unit: the link is their identity
        judge = (
            Judge.objects.select_related("contest", "contest__owner")
            .filter(token_hash=hash_token(token), user__isnull=True, revoked_at__isnull=True)
            .first()
        )
    if judge is None or judge.token_expires_at is None or judge.token_expires_at <= timezone.now():
        return None
    return judge


def judgeships_of(user) -> list[Judge]:
    """The contests a staff user judges (whatever unit organises them)."""
    with scopes_disabled():  # a judge's own rows, in contests that may be organised above their unit
        return list(Judge.objects.filter(user=user).select_related("contest").order_by("-contest__opens_at"))


def judge_of_user(user, judge_pk: int) -> Judge | None:
    with scopes_disabled():  # a judge's own row, in a contest that may be organised above their unit
        return Judge.objects.select_related("contest", "contest__owner").filter(pk=judge_pk, user=user).first()


# ---------------------------------------------------------------------------------------------
# Which entries a round judges, and who may not judge them


def round_entries(round: Round):
    """The first round judges every active entry that was recommended (or every active entry
    of a contest with no 推荐 step: none recommended); a later round judges the entries the
    organiser confirmed as advancing from the round before."""
    contest = round.contest
    with scopes_disabled():  # the organiser's round: every entry of the contest, whichever unit wrote it
        active = Entry.objects.filter(contest=contest, status=Entry.Status.SUBMITTED)
        if round.number == 1:
            recommended = active.filter(recommended=True)
            return recommended if recommended.exists() else active
        previous = Round.objects.get(contest=contest, number=round.number - 1)
        return active.filter(
            advancements__round=previous, advancements__advanced=True, advancements__confirmed_at__isnull=False
        )


def conflict_pairs(round: Round, judges: Sequence[Judge], entries: Sequence[tuple[int, str]]) -> set[tuple[int, int]]:
    """(judge, entry) pairs that may not meet: a staff judge never gets an entry of their own
    unit's subtree (a judge of the organising unit, whose subtree is everything, only never one of
    that very unit), nor one of the subtree of a declared conflict. ``entries``: (id, author path)."""
    owner_pk = round.contest.owner_id
    pairs = set()
    for judge in judges:
        barred = [conflict.path for conflict in judge.conflicts.all()]
        exact = []
        if judge.org_id is not None:
            (exact if judge.org_id == owner_pk else barred).append(judge.org.path)
        for entry_pk, path in entries:
            if path in exact or any(path.startswith(prefix) for prefix in barred):
                pairs.add((judge.pk, entry_pk))
    return pairs


def assign_round(round: Round, *, by) -> int:
    """Give every entry of the round ``judges_per_entry`` judges, keeping the assignments already
    made (a rerun after adding judges or entries only fills gaps). Returns how many were added.
    Raises ``JudgingError`` with the reason when no fair assignment exists. Audited: one entry for
    the run, with every (entry, judge) pair it made."""
    if round.status == Round.Status.CLOSED:
        raise JudgingError("本轮已结束，不能再分配。")
    with scopes_disabled():  # the organiser's round: its entries come from every unit
        judges = list(round.judges.select_related("org").prefetch_related("conflicts").filter(revoked_at__isnull=True))
        entries = list(round_entries(round).values_list("pk", "code", "author_org__path"))
        existing: dict[int, list[int]] = defaultdict(list)
        for entry_pk, judge_pk in Assignment.objects.filter(round=round).values_list("entry_id", "judge_id"):
            existing[entry_pk].append(judge_pk)
    if not judges:
        raise JudgingError("本轮还没有评委。")
    if not entries:
        raise JudgingError("本轮没有待评的作品。")
    judge_pks = {j.pk for j in judges}
    existing = {e: [j for j in js if j in judge_pks] for e, js in existing.items()}
    try:
        result = assign(
            [pk for pk, _, _ in entries],
            [j.pk for j in judges],
            per_entry=round.judges_per_entry,
            seed=round.seed,
            conflicts=conflict_pairs(round, judges, [(pk, path) for pk, _, path in entries]),
            existing=existing,
            judge_names={j.pk: j.name for j in judges},
            entry_codes={pk: code for pk, code, _ in entries},
        )
    except AssignmentImpossible as refusal:
        raise JudgingError(str(refusal)) from None
    new = [
        Assignment(round=round, entry_id=entry_pk, judge_id=judge_pk)
        for entry_pk, judge_pks_of_entry in result.items()
        for judge_pk in judge_pks_of_entry
        if judge_pk not in existing.get(entry_pk, ())
    ]
    with transaction.atomic(), scopes_disabled():  # bulk writes of the organiser's own round
        Assignment.objects.bulk_create(new, batch_size=1000)
        # One entry for the run, holding every pair it made (6,000 rows of audit would cost more than
        # the assignment itself); each later change by hand is an entry of its own (swap_judge).
        log_action(
            round,
            "contests.round.assigned",
            by=by,
            org=round.contest.owner,
            data={
                "added": len(new),
                "entries": len(entries),
                "judges": len(judges),
                "seed": round.seed,
                "pairs": [[a.entry_id, a.judge_id] for a in new],
            },
        )
    return len(new)


def swap_judge(assignment: Assignment, *, to: Judge, by, reason: str = "") -> Assignment:
    """Give an entry to another judge of the round by hand (only while nothing is submitted for
    it). The same conflict rules as the automatic assignment apply. Audited."""
    round = assignment.round
    with scopes_disabled():  # the organiser's round
        score = Score.objects.filter(assignment=assignment).first()
        if score is not None and score.status == Score.Status.SUBMITTED:
            raise JudgingError("该评委已提交评分，不能再换人。")
        if not round.judges.filter(pk=to.pk).exists():
            raise JudgingError(f"{to.name} 不是本轮评委。")
        if Assignment.objects.filter(round=round, entry=assignment.entry, judge=to).exists():
            raise JudgingError(f"{to.name} 已在评这件作品。")
        entry = assignment.entry
        if conflict_pairs(round, [to], [(entry.pk, entry.author_org.path)]):
            raise JudgingError(f"{to.name} 需要回避这件作品（本单位或申报的回避单位）。")
        before = assignment.judge
        with transaction.atomic():
            if score is not None:
                score.delete()
            assignment.judge = to
            assignment.save(update_fields=["judge"])
            log_action(
                entry,
                "contests.assignment.swapped",
                by=by,
                org=round.contest.owner,
                from_state=before.name,
                to_state=to.name,
                reason=reason,
                data={"round": round.pk, "from_judge": before.pk, "to_judge": to.pk},
            )
    return assignment


def open_round(round: Round, *, by) -> int:
    """Start judging: the round opens, the contest is 评审中, staff judges are told. Returns how
    many were told. Audited."""
    if round.status != Round.Status.SETUP:
        raise JudgingError("本轮已经开始或已结束。")
    with scopes_disabled():  # the organiser's round
        if not Assignment.objects.filter(round=round).exists():
            raise JudgingError("请先分配作品再开始评审。")
        if not round.criteria.exists():
            raise JudgingError("请先设置评分标准。")
        contest = round.contest
        with transaction.atomic():
            round.status = Round.Status.OPEN
            round.save(update_fields=["status"])
            if contest.status != Contest.Status.JUDGING:
                contest.status = Contest.Status.JUDGING
                contest.save(update_fields=["status"])
            log_action(round, "contests.round.opened", by=by, org=contest.owner, to_state=Round.Status.OPEN)
        users = [j.user for j in round.judges.select_related("user").filter(user__isnull=False)]
    return notify_users(
        users=users,
        kind=Notification.Kind.REMINDER,
        title=f"{contest.title}{round.name}已开始，请评审分配给您的作品",
        url=reverse("contests:judging_home"),
    )


# ---------------------------------------------------------------------------------------------
# Scores


def rubric(round: Round) -> list[scoring.Criterion]:
    with scopes_disabled():  # a round's rubric, read for its judges as for its organiser
        return [scoring.Criterion(c.pk, c.name, c.max_points) for c in round.criteria.all()]


def parse_points(raw: Mapping[str, str], criteria: Sequence[scoring.Criterion]) -> dict[str, float]:
    """Points typed in a form (``points_<id>``), kept as typed where they are numbers; raises
    ``JudgingError`` naming the criterion when one is not a number."""
    points = {}
    for criterion in criteria:
        text = (raw.get(f"points_{criterion.id}") or "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            raise JudgingError(f"「{criterion.name}」请填写数字。") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise JudgingError(f"「{criterion.name}」请填写数字。")
        points[str(criterion.id)] = value
    return points


def save_score(
    assignment: Assignment, *, judge: Judge, points: Mapping[str, float], comment: str, submit: bool
) -> Score:
    """A judge saves a draft (partial points allowed, each within its range) or submits (every
    criterion scored); a submitted score is locked. Submitting is audited."""
    if assignment.judge_id != judge.pk:
        raise JudgingError("这件作品没有分配给您。")
    round = assignment.round
    if round.status != Round.Status.OPEN:
        raise JudgingError("本轮评审未开始或已结束，不能再评分。")
    criteria = rubric(round)
    points = {str(c.id): points[str(c.id)] for c in criteria if str(c.id) in points}  # the rubric's, nothing else
    for criterion in criteria:
        value = points.get(str(criterion.id))
        if value is not None and not 0 <= value <= criterion.max_points:
            raise JudgingError(f"「{criterion.name}」的分数应在 0 到 {criterion.max_points:g} 之间。")
    total = None
    if all(str(c.id) in points for c in criteria):
        total = scoring.weighted_total({int(k): v for k, v in points.items()}, criteria)
    if submit and total is None:
        missing = "、".join(c.name for c in criteria if str(c.id) not in points)
        raise JudgingError(f"请给「{missing}」打分后再提交。")
    with transaction.atomic(), scopes_disabled():  # the judge's own score of their own assignment
        score = Score.objects.select_for_update().filter(assignment=assignment).first()
        if score is not None and score.status == Score.Status.SUBMITTED:
            raise JudgingError("评分已提交并锁定；如需修改，请联系评委组长解锁。")
        score = score or Score(assignment=assignment)
        score.points = {k: points[k] for k in sorted(points)}
        score.total = Decimal(str(total)) if total is not None else None
        score.comment = comment.strip()
        if submit:
            score.status = Score.Status.SUBMITTED
            score.submitted_at = timezone.now()
        score.save()
        if submit:
            log_action(
                score,
                "contests.score.submitted",
                by=judge.user,
                org=round.contest.owner,
                to_state=Score.Status.SUBMITTED,
                data={"judge": judge.pk, "judge_name": judge.name, "total": str(score.total)},
            )
    return score


def unlock_score(score: Score, *, chief: Judge, reason: str) -> None:
    """The chief judge reopens a submitted score for its judge, with a reason. Audited."""
    assignment = score.assignment
    if not chief.is_chief or chief.contest_id != assignment.round.contest_id:
        raise JudgingError("只有本赛事的评委组长可以解锁评分。")
    if score.status != Score.Status.SUBMITTED:
        raise JudgingError("该评分尚未提交，无需解锁。")
    if assignment.round.status != Round.Status.OPEN:
        raise JudgingError("本轮已结束，不能再解锁评分。")
    if not reason.strip():
        raise JudgingError("请填写解锁原因。")
    with transaction.atomic(), scopes_disabled():  # the chief judge acts on their contest's scores
        score.status = Score.Status.DRAFT
        score.unlocked_by = chief.user
        score.unlock_reason = reason.strip()
        score.submitted_at = None
        score.save(update_fields=["status", "unlocked_by", "unlock_reason", "submitted_at", "updated_at"])
        log_action(
            score,
            "contests.score.unlocked",
            by=chief.user,
            org=assignment.round.contest.owner,
            from_state=Score.Status.SUBMITTED,
            to_state=Score.Status.DRAFT,
            reason=reason.strip(),
            data={"chief": chief.pk, "chief_name": chief.name, "judge": assignment.judge_id},
        )


def submitted_totals(round: Round) -> dict[tuple[int, int], float]:
    """(entry, judge) -> total of every submitted score of the round (drafts never count)."""
    with scopes_disabled():  # the round's scores, for its organiser and chief judge
        rows = Score.objects.filter(assignment__round=round, status=Score.Status.SUBMITTED).values_list(
            "assignment__entry_id", "assignment__judge_id", "total"
        )
        return {(entry, judge): float(total) for entry, judge, total in rows}


def outlier_flags(round: Round) -> set[tuple[int, int]]:
    return scoring.outliers(submitted_totals(round))


def peer_scores_allowed(assignment: Assignment, own: Score | None) -> bool:
    """May the judge of ``assignment`` see the other judges' scores of the entry (the round's rule)?"""
    rule = assignment.round.peer_scores
    if rule == Round.PeerScores.AFTER_OWN:
        return own is not None and own.status == Score.Status.SUBMITTED
    if rule == Round.PeerScores.AFTER_CLOSE:
        return assignment.round.status == Round.Status.CLOSED
    return False


# ---------------------------------------------------------------------------------------------
# Progress and reminders


@dataclass(frozen=True)
class JudgeProgress:
    judge: Judge
    assigned: int
    submitted: int
    drafts: int

    @property
    def behind(self) -> int:
        return self.assigned - self.submitted


def progress(round: Round) -> list[JudgeProgress]:
    """Every judge of the round with how many entries they have, submitted and in draft (one query)."""
    with scopes_disabled():  # the organiser's round
        judges = round.judges.annotate(
            n_assigned=Count("assignments", filter=Q(assignments__round=round)),
            n_submitted=Count(
                "assignments", filter=Q(assignments__round=round, assignments__score__status=Score.Status.SUBMITTED)
            ),
            n_drafts=Count(
                "assignments", filter=Q(assignments__round=round, assignments__score__status=Score.Status.DRAFT)
            ),
        ).order_by("id")
        return [JudgeProgress(j, j.n_assigned, j.n_submitted, j.n_drafts) for j in judges]


def remind_judges(round: Round, *, by) -> int:
    """Tell every staff judge still behind in an open round how many entries wait (external judges
    are reminded by the organiser through their own channel; the page lists them). Returns how
    many were told. Audited."""
    if round.status != Round.Status.OPEN:
        raise JudgingError("本轮不在评审中。")
    behind = [p for p in progress(round) if p.behind > 0 and p.judge.user_id is not None]
    with scopes_disabled():  # the judges' accounts may sit anywhere in the tree
        users = {j.pk: j.user for j in Judge.objects.filter(pk__in=[p.judge.pk for p in behind]).select_related("user")}
    log_action(
        round, "contests.round.reminded", by=by, org=round.contest.owner, data={"judges": [p.judge.pk for p in behind]}
    )
    sent = 0
    for p in behind:
        deadline = f"，截止 {timezone.localtime(round.deadline):%m-%d %H:%M}" if round.deadline else ""
        sent += notify_users(
            users=[users[p.judge.pk]],
            kind=Notification.Kind.REMINDER,
            title=f"{round.contest.title}{round.name}：还有 {p.behind} 件作品待您提交评分{deadline}",
            url=reverse("contests:judging_home"),
        )
    return sent


# ---------------------------------------------------------------------------------------------
# Closing a round, advancing


def round_scores(round: Round) -> dict[int, float]:
    """entry -> the round's aggregated score (the round's aggregation over submitted totals)."""
    return scoring.aggregate(submitted_totals(round), round.aggregation)


def close_round(round: Round, *, by) -> list[Advancement]:
    """Close an open round: aggregate, rank per category, and store the advance rule's proposal
    (``advanced``, unconfirmed) for every entry of the round. Drafts do not count; entries with
    no submitted score are listed unranked. Audited."""
    if round.status != Round.Status.OPEN:
        raise JudgingError("只有评审中的轮次可以结束。")
    with scopes_disabled():  # the organiser's round: entries of every unit
        entries = {e.pk: e for e in round_entries(round).only("pk", "code", "category_id")}
        scores = {pk: value for pk, value in round_scores(round).items() if pk in entries}
        codes = {pk: e.code for pk, e in entries.items()}
        categories = {pk: e.category_id for pk, e in entries.items()}
        ranked = {row.entry: row for row in scoring.rank(scores, codes=codes, categories=categories)}
        proposed = (
            scoring.advancing(
                scores,
                codes=codes,
                categories=categories,
                rule=round.advance_rule,
                value=float(round.advance_value),
            )
            if round.advance_value is not None
            else set()
        )
        with transaction.atomic():
            Advancement.objects.filter(round=round).delete()
            rows = Advancement.objects.bulk_create(
                Advancement(
                    round=round,
                    entry_id=pk,
                    score=Decimal(str(scores[pk])) if pk in scores else None,
                    rank=ranked[pk].rank if pk in ranked else None,
                    advanced=pk in proposed,
                )
                for pk in entries
            )
            round.status = Round.Status.CLOSED
            round.save(update_fields=["status"])
            log_action(
                round,
                "contests.round.closed",
                by=by,
                org=round.contest.owner,
                from_state=Round.Status.OPEN,
                to_state=Round.Status.CLOSED,
                data={"ranked": len(scores), "proposed": len(proposed)},
            )
    return rows


def confirm_advancement(round: Round, *, by, advanced: set[int], reason: str = "") -> None:
    """The organiser confirms which entries go on (``advanced``: entry ids); a change to the
    proposal needs a reason. Audited."""
    if round.status != Round.Status.CLOSED:
        raise JudgingError("本轮结束后才能确认晋级。")
    with scopes_disabled():  # the organiser's round
        rows = list(Advancement.objects.filter(round=round))
        changed = [r.entry_id for r in rows if r.advanced != (r.entry_id in advanced)]
        if changed and not reason.strip():
            raise JudgingError("晋级名单与按规则生成的建议不同，请填写调整理由。")
        now = timezone.now()
        with transaction.atomic():
            for row in rows:
                row.advanced = row.entry_id in advanced
                row.confirmed_by = by
                row.confirmed_at = now
            Advancement.objects.bulk_update(rows, ["advanced", "confirmed_by", "confirmed_at"], batch_size=1000)
            log_action(
                round,
                "contests.round.advancement_confirmed",
                by=by,
                org=round.contest.owner,
                reason=reason.strip(),
                data={"advanced": sorted(advanced & {r.entry_id for r in rows}), "changed": sorted(changed)},
            )


# ---------------------------------------------------------------------------------------------
# Awards and results


def final_round(contest: Contest) -> Round | None:
    """The last closed round: its ranking is the one awards are proposed from."""
    with scopes_disabled():  # the organiser's contest
        return contest.rounds.filter(status=Round.Status.CLOSED).order_by("-number").first()


def propose_contest_awards(contest: Contest, *, by, quotas=scoring.DEFAULT_QUOTAS) -> list[Award]:
    """Proposed award levels per category from the last closed round's ranking (quotas and the tie
    rule in ``scoring``), replacing unconfirmed proposals. Audited."""
    last = final_round(contest)
    if last is None:
        raise JudgingError("还没有结束的评审轮次，无法生成获奖建议。")
    with scopes_disabled():  # the organiser's contest
        later = contest.rounds.filter(number__gt=last.number).order_by("number").first()
        if later is not None:
            raise JudgingError(f"“{later.name}”尚未结束：获奖建议按最后一轮的排名生成。")
        if Award.objects.filter(contest=contest, confirmed_at__isnull=False).exists():
            raise JudgingError("获奖名单已确认，不能重新生成建议。")
        rows = list(Advancement.objects.filter(round=last, rank__isnull=False).select_related("entry"))
        ranked = [
            scoring.Ranked(
                entry=r.entry_id, category=r.entry.category_id, code=r.entry.code, score=float(r.score), rank=r.rank
            )
            for r in sorted(rows, key=lambda r: (r.entry.category_id, r.rank, r.entry.code))
        ]
        proposals = scoring.propose_awards(ranked, quotas)
        with transaction.atomic():
            Award.objects.filter(contest=contest).delete()
            awards = Award.objects.bulk_create(
                Award(contest=contest, category_id=p.category, entry_id=p.entry, level=p.level, proposed_level=p.level)
                for p in proposals
            )
            log_action(
                contest,
                "contests.awards.proposed",
                by=by,
                org=contest.owner,
                data={
                    "round": last.pk,
                    "proposed": len(awards),
                    "over_quota": sorted({p.level for p in proposals if p.over_quota}),
                },
            )
    return awards


def confirm_awards(contest: Contest, *, by, overrides: Mapping[int, tuple[str, str]] | None = None) -> None:
    """The organiser confirms the award list; ``overrides``: entry id -> (level or "" for none,
    reason), each needs a reason and is audited on its own. Audited."""
    overrides = overrides or {}
    with scopes_disabled():  # the organiser's contest
        awards = {a.entry_id: a for a in Award.objects.filter(contest=contest).select_related("entry")}
        if not awards:
            raise JudgingError("还没有获奖建议。")
        for entry_pk, (level, reason) in overrides.items():
            if entry_pk not in awards:
                raise JudgingError("只能调整获奖建议名单中的作品。")
            if level and level not in Award.Level.values:
                raise JudgingError("奖项不正确。")
            if level != awards[entry_pk].level and not reason.strip():
                raise JudgingError(f"作品 {awards[entry_pk].entry.code} 的奖项调整需要填写理由。")
        now = timezone.now()
        with transaction.atomic():
            for entry_pk, (level, reason) in overrides.items():
                award = awards[entry_pk]
                if level == award.level:
                    continue
                log_action(
                    award.entry,
                    "contests.award.overridden",
                    by=by,
                    org=contest.owner,
                    from_state=award.proposed_level,
                    to_state=level or "none",
                    reason=reason.strip(),
                )
                award.level = level
                award.override_reason = reason.strip()
            for award in awards.values():
                award.confirmed_by = by
                award.confirmed_at = now
            Award.objects.bulk_update(
                list(awards.values()), ["level", "override_reason", "confirmed_by", "confirmed_at"], batch_size=1000
            )
            log_action(contest, "contests.awards.confirmed", by=by, org=contest.owner, data={"awards": len(awards)})


def publish_results(contest: Contest, *, by) -> None:
    """Publish the confirmed awards: the public results page shows winners' names and units. Audited."""
    with scopes_disabled():  # the organiser's contest
        if not Award.objects.filter(contest=contest, confirmed_at__isnull=False).exists():
            raise JudgingError("请先确认获奖名单。")
    with transaction.atomic():
        contest.results_published_at = timezone.now()
        contest.status = Contest.Status.FINISHED
        contest.save(update_fields=["results_published_at", "status"])
        log_action(contest, "contests.results.published", by=by, org=contest.owner, to_state=Contest.Status.FINISHED)


@dataclass(frozen=True)
class ResultRow:
    award: Award
    entry: Entry
    category: Category


def awards_of(contest: Contest, *, published_only: bool = False) -> list[Award]:
    """The contest's awards, best level first within each category (one query)."""
    with scopes_disabled():  # the organiser's contest, or its published results for the public
        qs = (
            Award.objects.filter(contest=contest)
            .exclude(level="")
            .select_related("entry", "entry__author_org", "category")
        )
        if published_only:
            qs = qs.filter(confirmed_at__isnull=False)
        awards = list(qs)
    order = {level: i for i, level in enumerate(AWARD_ORDER)}
    return sorted(awards, key=lambda a: (a.category.order, a.category_id, order[a.level], a.entry.code))


def organisation_tallies(contest: Contest) -> list[scoring.OrganisationProposal]:
    """优秀组织奖 proposal: per unit directly below the organiser (a county) that sent entries, its
    subtree's entries submitted, recommended and awarded."""
    with scopes_disabled():  # the organiser's contest: every unit's entries
        from jinguo.orgs.models import Org

        units = list(Org.objects.filter(parent=contest.owner, is_active=True))
        entries = list(
            Entry.objects.filter(contest=contest)
            .exclude(status=Entry.Status.WITHDRAWN)
            .values_list("pk", "author_org__path", "recommended")
        )
        levels = dict(Award.objects.filter(contest=contest).exclude(level="").values_list("entry_id", "level"))
    tallies = []
    for unit in units:
        mine = [(pk, rec) for pk, path, rec in entries if path.startswith(unit.path)]
        if not mine:
            continue  # a unit that sent nothing is not in the running
        awards: dict[str, int] = defaultdict(int)
        for pk, _ in mine:
            if pk in levels:
                awards[levels[pk]] += 1
        tallies.append(
            scoring.UnitTally(
                unit=unit.pk, submitted=len(mine), recommended=sum(1 for _, r in mine if r), awards=awards
            )
        )
    return scoring.propose_organisation_awards(tallies)


# ---------------------------------------------------------------------------------------------
# Reads for the judge


def judge_assignments(judge: Judge, round: Round | None = None):
    """The judge's assignments in open or closed rounds (never another judge's, never a withdrawn or
    disqualified entry), with the entry's code, category and the judge's own score (one query)."""
    with scopes_disabled():  # a judge reads only what is assigned to them
        qs = (
            Assignment.objects.filter(judge=judge, entry__status=Entry.Status.SUBMITTED)
            .exclude(round__status=Round.Status.SETUP)
            .select_related("round", "entry", "entry__category", "score")
            .only(
                "id",
                "round__id",
                "round__name",
                "round__number",
                "round__status",
                "entry__id",
                "entry__code",
                "entry__title",
                "entry__category__name",
                "score__id",
                "score__status",
                "score__total",
            )
            .order_by("-round__number", "entry__number")
        )
        if round is not None:
            qs = qs.filter(round=round)
        return list(qs)


def assignment_of_judge(judge: Judge, pk: int) -> Assignment | None:
    """One of the judge's own assignments (in an open or closed round), else None (→ 404)."""
    with scopes_disabled():  # a judge reads only what is assigned to them
        return (
            Assignment.objects.filter(pk=pk, judge=judge, entry__status=Entry.Status.SUBMITTED)
            .exclude(round__status=Round.Status.SETUP)
            .select_related("round", "round__contest", "entry", "entry__category", "entry__current_version", "judge")
            .first()
        )


def own_score(assignment: Assignment) -> Score | None:
    with scopes_disabled():  # a judge's own score
        return Score.objects.filter(assignment=assignment).first()


def peer_scores(assignment: Assignment) -> list[Score]:
    """The other judges' submitted scores of the entry in this round (names of judges left out)."""
    with scopes_disabled():  # shown to a judge only when the round's rule allows (the caller checks)
        return list(
            Score.objects.filter(
                assignment__round=assignment.round, assignment__entry=assignment.entry, status=Score.Status.SUBMITTED
            )
            .exclude(assignment=assignment)
            .order_by("total")
        )


# ---------------------------------------------------------------------------------------------
# Reads for the organiser


@dataclass(frozen=True)
class EntryLine:
    entry: Entry
    assigned: int
    submitted: int
    score: float | None


def round_entries_for_list(round: Round):
    """The round's entries in number order, with what a list row shows (a queryset to page)."""
    return round_entries(round).select_related("category", "author_org").order_by("number")


def entry_lines(round: Round, entries: Sequence[Entry]) -> list[EntryLine]:
    """``entries`` (a page of the round's) with their judges assigned, scores submitted and current
    aggregated score: two queries whatever the page's length (three with z-scores, which need
    every judge's scores in the round)."""
    pks = [e.pk for e in entries]
    with scopes_disabled():  # the organiser's round: entries of every unit
        counts = {
            row["entry_id"]: row
            for row in Assignment.objects.filter(round=round, entry_id__in=pks)
            .values("entry_id")
            .annotate(
                assigned=Count("id"),
                submitted=Count("id", filter=Q(score__status=Score.Status.SUBMITTED)),
            )
        }
        if round.aggregation == Round.Aggregation.ZSCORE:
            scores = round_scores(round)
        else:
            rows = Score.objects.filter(
                assignment__round=round, assignment__entry_id__in=pks, status=Score.Status.SUBMITTED
            ).values_list("assignment__entry_id", "assignment__judge_id", "total")
            scores = scoring.aggregate({(e, j): float(t) for e, j, t in rows}, round.aggregation)
    empty = {"assigned": 0, "submitted": 0}
    return [
        EntryLine(e, counts.get(e.pk, empty)["assigned"], counts.get(e.pk, empty)["submitted"], scores.get(e.pk))
        for e in entries
    ]


def score_matrix(round: Round) -> tuple[list[str], list[list]]:
    """The full score matrix of a round: one row per (entry, judge) with every criterion's points,
    the total, the status and the comment (header, rows), in entry then judge order."""
    criteria = rubric(round)
    with scopes_disabled():  # the organiser's export of their round
        rows = (
            Assignment.objects.filter(round=round)
            .select_related("entry", "entry__category", "judge", "score")
            .only(
                "entry__code",
                "entry__number",
                "entry__title",
                "entry__category__name",
                "judge__name",
                "judge__affiliation",
                "score__points",
                "score__total",
                "score__status",
                "score__comment",
            )
            .order_by("entry__number", "judge_id")
        )
        header = [
            "作品编号",
            "组别",
            "标题",
            "评委",
            "评委单位",
            *[f"{c.name}（{c.max_points:g}）" for c in criteria],
            "总分",
            "状态",
            "评语",
        ]
        labels = dict(Score.Status.choices)
        out = []
        for a in rows.iterator(chunk_size=2000):
            score = getattr(a, "score", None)
            points = score.points if score else {}
            out.append(
                [
                    a.entry.code,
                    a.entry.category.name,
                    a.entry.title,
                    a.judge.name,
                    a.judge.affiliation,
                    *[points.get(str(c.id), "") for c in criteria],
                    float(score.total) if score and score.total is not None else "",
                    str(labels[score.status]) if score else "未评",
                    score.comment if score else "",
                ]
            )
    return header, out
