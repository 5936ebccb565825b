"""Reads of the quiz app for organisers: lists, per-unit tables. The ranking is ``ranking``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, Q, QuerySet, Sum

from jinguo.orgs.models import Org
from jinguo.orgs.selectors import branches, totals_by_branch
from jinguo.quiz.models import Attempt, Participant, Question, QuestionBank, Quiz, UnitTarget


def banks_visible_to(*, user) -> QuerySet[QuestionBank]:
    return QuestionBank.objects.select_related("owner").annotate(
        question_count=Count("questions", filter=Q(questions__is_active=True))
    )


def questions_of(bank: QuestionBank, *, q: str = "", topic: str = "", kind: str = "", difficulty: str = "", status=""):
    qs = Question.objects.filter(bank=bank)
    if q:
        qs = qs.filter(Q(stem__icontains=q) | Q(source__icontains=q))
    if topic:
        qs = qs.filter(topic=topic)
    if kind:
        qs = qs.filter(kind=kind)
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    if status == "inactive":
        qs = qs.filter(is_active=False)
    elif status != "all":
        qs = qs.filter(is_active=True)
    return qs.order_by("id")


def quizzes_visible_to(*, user) -> QuerySet[Quiz]:
    """The quizzes of the viewer's scope (its own and its subtree's, and those of the units above
    that its units take part in), less the units above's quizzes not published (yet or any more):
    a draft is its organisers' business. The one rule for the list and every quiz page."""
    return Quiz.objects.select_related("owner", "bank").filter(Q(is_published=True) | user.org.subtree_q("owner"))


def participant_search_q(q: str, *, phones: bool, via: str = "") -> Q:
    """Participants by name or unit, and by the start of their phone number only for a viewer
    who sees numbers in full: to one who sees them masked, a search by number would tell them
    digit by digit (about 24 searches recover one)."""
    prefix = f"{via}__" if via else ""
    found = Q(**{f"{prefix}name__icontains": q}) | Q(unit__name__icontains=q)
    if phones:
        found |= Q(**{f"{prefix}phone__startswith": q})
    return found


def format_ms(ms: int | None) -> str:
    if ms is None:
        return "—"
    seconds = ms // 1000
    return f"{seconds // 60}分{seconds % 60:02d}秒"


@dataclass
class UnitRow:
    org: Org | None  # None: people registered at the root unit itself (本级)
    label: str
    participants: int = 0
    attempts: int = 0
    avg_score: float | None = None
    target: int | None = None
    has_children: bool = False

    @property
    def rate(self) -> float | None:
        if not self.target:
            return None
        return self.participants / self.target * 100


def unit_table(quiz: Quiz, root: Org) -> tuple[list[UnitRow], UnitRow]:
    """One row per child unit of ``root`` (its whole subtree counted in), plus the root's own
    participants, and a total. The rate is participants against the targets set in the subtree.
    Three queries whatever the size of the tree."""
    stats = totals_by_branch(
        Participant.objects.filter(root.subtree_q("unit"), quiz=quiz),
        root=root,
        path_field="unit__path",
        n=Count("id"),
        attempts=Sum("attempts_count"),
        avg=Avg("best_score"),
        scored=Count("id", filter=Q(best_score__isnull=False)),
    )
    targets = totals_by_branch(
        UnitTarget.objects.filter(root.subtree_q("unit"), quiz=quiz),
        root=root,
        path_field="unit__path",
        members=Sum("members"),
    )
    rows = []
    scored_sum = scored_n = 0
    for branch in branches(root, stats, targets):
        label = f"{root.name}（本级）" if branch.own else branch.org.name
        row = UnitRow(org=None if branch.own else branch.org, label=label, has_children=branch.has_children)
        found = stats.get(branch.path)
        if found:
            row.participants, row.attempts, row.avg_score = found["n"], found["attempts"] or 0, found["avg"]
            if found["avg"] is not None:
                scored_sum += found["avg"] * found["scored"]
                scored_n += found["scored"]
        row.target = targets.get(branch.path, {}).get("members")
        if not branch.own or row.participants or row.target:
            rows.append(row)
    total = UnitRow(org=root, label="合计")
    total.participants = sum(r.participants for r in rows)
    total.attempts = sum(r.attempts for r in rows)
    total.avg_score = scored_sum / scored_n if scored_n else None
    target_sum = sum(r.target or 0 for r in rows)
    total.target = target_sum or None
    return rows, total


def attempts_for(quiz: Quiz, *, q: str = "", phones: bool = False, status: str = "") -> QuerySet[Attempt]:
    """Attempts of the quiz in the viewer's subtree (the scoped manager), newest first; ``phones``:
    the viewer sees phone numbers in full (participant_search_q)."""
    qs = Attempt.objects.filter(quiz=quiz).select_related("participant", "unit")
    if q:
        qs = qs.filter(participant_search_q(q, phones=phones, via="participant"))
    if status in Attempt.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-started_at", "-id")
