"""Writes of the quiz app's organisers: banks and questions, quizzes and their unit targets.

The public taking flow (start, save, submit) is ``taking``."""

from __future__ import annotations

import re
import secrets

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jinguo.audit.services import log_action
from jinguo.quiz import memory, paper
from jinguo.quiz.models import JUDGE_OPTIONS, LETTERS, Kind, Question, QuestionBank, Quiz, UnitTarget

QUIZ_FIELDS = (
    "title",
    "description",
    "bank",
    "opens_at",
    "closes_at",
    "audience",
    "paper_rules",
    "points_single",
    "points_multi",
    "points_judge",
    "time_limit_minutes",
    "max_attempts",
    "max_attempts_per_day",
    "leaderboard_size",
    "awards_prizes",
    "identity_check",
)


class QuizError(Exception):
    """A refusal with a Chinese message for the participant or organiser."""

    def __init__(self, message: str, code: str = "invalid", status: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


# ---- questions ------------------------------------------------------------------------------

ANSWER_RE = re.compile(r"^[A-Ea-e、,，/；;\s]+$")
JUDGE_WORDS = {"正确": "A", "对": "A", "√": "A", "T": "A", "错误": "B", "错": "B", "×": "B", "F": "B"}


def parse_question(*, kind: str, stem: str, options: list[str], answer: str) -> tuple[str, list[str], str]:
    """Check one question; returns (stem, options, answer letters) or raises QuizError in Chinese."""
    stem = " ".join((stem or "").split())
    if not stem:
        raise QuizError("题干不能为空")
    if len(stem) > 1000:
        raise QuizError("题干不能超过 1000 个字")
    options = [(o or "").strip() for o in options]
    while options and not options[-1]:
        options.pop()
    answer = (answer or "").strip()
    if not answer:
        raise QuizError("缺少答案")
    if kind == Kind.JUDGE:
        if any(o and o not in JUDGE_OPTIONS for o in options):
            raise QuizError("判断题不需要填写选项（选项固定为“正确”“错误”）")
        letter = JUDGE_WORDS.get(answer.upper() if len(answer) == 1 else answer)
        if letter is None:
            raise QuizError(f"判断题的答案应为“正确”或“错误”，不能是“{answer}”")
        return stem, [], letter
    if kind not in (Kind.SINGLE, Kind.MULTI):
        raise QuizError("题型无效")
    if "" in options:
        gap = LETTERS[options.index("")]
        raise QuizError(f"选项{gap}为空：选项要从 A 开始连续填写")
    if len(options) < 2:
        raise QuizError("选择题至少要有 A、B 两个选项")
    if len(set(options)) != len(options):
        raise QuizError("选项内容有重复")
    if any(len(o) > 300 for o in options):
        raise QuizError("选项不能超过 300 个字")
    if ANSWER_RE.match(answer) is None:
        raise QuizError(f"答案“{answer}”无效，应填写选项字母，如 B 或 ACD")
    letters = paper.normalize_letters(answer)
    missing = [c for c in letters if LETTERS.index(c) >= len(options)]
    if missing:
        raise QuizError(f"答案“{answer}”中的 {''.join(missing)} 不在选项中（只有 A–{LETTERS[len(options) - 1]}）")
    if kind == Kind.SINGLE and len(letters) != 1:
        raise QuizError(f"单选题只能有一个答案，不能是“{answer}”")
    if kind == Kind.MULTI and len(letters) < 2:
        raise QuizError(f"多选题至少要有两个正确选项，不能只有“{answer}”")
    return stem, options, letters


def _bump_bank(bank: QuestionBank) -> None:
    QuestionBank.objects.filter(pk=bank.pk).update(version=F("version") + 1, updated_at=timezone.now())
    bank.refresh_from_db(fields=["version"])


def create_bank(*, owner, name: str, description: str = "", by) -> QuestionBank:
    """A new, empty bank. Audit: quiz.bank.created."""
    with transaction.atomic():
        bank = QuestionBank.objects.create(owner=owner, name=name, description=description, created_by=by)
        log_action(bank, "quiz.bank.created", by=by, org=owner)
    return bank


def update_bank(bank: QuestionBank, *, name: str, description: str, by) -> None:
    with transaction.atomic():
        bank.name, bank.description = name, description
        bank.save(update_fields=["name", "description", "updated_at"])
        log_action(bank, "quiz.bank.updated", by=by, org=bank.owner)


def save_question(bank: QuestionBank, *, by, question: Question | None = None, **fields) -> Question:
    """Create or edit a question (fields: kind, stem, options, answer, explanation, source, topic,
    difficulty, basis). Audit: quiz.question.created / quiz.question.updated."""
    stem, options, answer = parse_question(
        kind=fields["kind"], stem=fields["stem"], options=fields.get("options", []), answer=fields["answer"]
    )
    duplicate = Question.objects.filter(bank=bank, stem=stem)
    if question is not None:
        duplicate = duplicate.exclude(pk=question.pk)
    if duplicate.exists():
        raise QuizError("题库中已有相同题干的试题")
    with transaction.atomic():
        created = question is None
        question = question or Question(bank=bank)
        question.stem, question.options, question.answer = stem, options, answer
        for name in ("kind", "explanation", "source", "topic", "difficulty", "basis"):
            setattr(question, name, (fields.get(name) or "").strip() if name != "kind" else fields[name])
        question.save()
        _bump_bank(bank)
        log_action(question, "quiz.question.created" if created else "quiz.question.updated", by=by, org=bank.owner)
    return question


def set_question_active(question: Question, *, active: bool, by) -> None:
    """Questions are switched off, never deleted: papers already drawn refer to them."""
    with transaction.atomic():
        question.is_active = active
        question.save(update_fields=["is_active", "updated_at"])
        _bump_bank(question.bank)
        action = "quiz.question.reactivated" if active else "quiz.question.deactivated"
        log_action(question, action, by=by, org=question.bank.owner)


# ---- quizzes --------------------------------------------------------------------------------


def check_paper_rules(rules: list[dict], bank: QuestionBank) -> list[str]:
    if not rules or sum(int(r.get("count", 0)) for r in rules) == 0:
        return ["组卷规则至少要抽一道题"]
    return paper.check_rules(rules, memory.bank_data(bank.pk, bank.version))


def _clean_quiz_fields(fields: dict) -> dict:
    if fields["closes_at"] <= fields["opens_at"]:
        raise QuizError("结束时间必须晚于开始时间")
    errors = check_paper_rules(fields["paper_rules"], fields["bank"])
    if errors:
        raise QuizError("；".join(errors))
    return fields


def create_quiz(*, owner, by, **fields) -> Quiz:
    """A draft quiz of ``owner``. Audit: quiz.quiz.created."""
    fields = _clean_quiz_fields(fields)
    with transaction.atomic():
        quiz = Quiz.objects.create(owner=owner, created_by=by, slug=secrets.token_urlsafe(6), **fields)
        log_action(quiz, "quiz.quiz.created", by=by, org=owner)
    return quiz


def update_quiz(quiz: Quiz, *, by, **fields) -> None:
    """Papers already drawn keep their questions; new starts use the new settings at once.
    Audit: quiz.quiz.updated."""
    fields = _clean_quiz_fields(fields)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(quiz, name, value)
        quiz.version = F("version") + 1
        quiz.save()
        quiz.refresh_from_db()
        log_action(quiz, "quiz.quiz.updated", by=by, org=quiz.owner)
    memory.forget(quiz.slug)


def set_quiz_published(quiz: Quiz, *, published: bool, by) -> None:
    """Open (or withdraw) the public link. Audit: quiz.quiz.published / quiz.quiz.unpublished."""
    if published:
        errors = check_paper_rules(quiz.paper_rules, quiz.bank)
        if errors:
            raise QuizError("题库不足，不能发布：" + "；".join(errors))
    with transaction.atomic():
        quiz.is_published = published
        quiz.version = F("version") + 1
        quiz.save(update_fields=["is_published", "version", "updated_at"])
        quiz.refresh_from_db()
        log_action(quiz, "quiz.quiz.published" if published else "quiz.quiz.unpublished", by=by, org=quiz.owner)
    memory.forget(quiz.slug)


def set_unit_targets(quiz: Quiz, *, targets: dict[int, int | None], by, at) -> None:
    """Target memberships per unit ({unit id: members or None to clear}). Audit: quiz.targets.updated
    on the unit ``at`` whose table was edited."""
    with transaction.atomic():
        for unit_id, members in targets.items():
            if members is None:
                UnitTarget.objects.filter(quiz=quiz, unit_id=unit_id).delete()
            else:
                UnitTarget.objects.update_or_create(quiz=quiz, unit_id=unit_id, defaults={"members": members})
        log_action(quiz, "quiz.targets.updated", by=by, org=at, data={str(k): v for k, v in targets.items()})
