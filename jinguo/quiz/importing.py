"""Import questions from a table (rows from ``jinguo.lib.excel.read_table``), all or nothing.

The format (UTF-8 CSV or .xlsx), also written by the export and the template:
题型,题干,选项A,选项B,选项C,选项D,选项E,答案,解析,出处,主题,难度,依据
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from jinguo.audit.services import log_action
from jinguo.quiz.models import Difficulty, Kind, Question, QuestionBank, Topic
from jinguo.quiz.services import QuizError, _bump_bank, parse_question

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "答案", "解析", "出处", "主题", "难度", "依据"]
REQUIRED = ["题型", "题干", "答案", "主题"]
OPTION_COLUMNS = HEADER[2:7]


def _lookup(choices) -> dict[str, str]:
    table = {}
    for value, label in choices:
        table[value] = value
        table[str(label)] = value
    return table


KINDS = _lookup(Kind.choices) | {"单选题": Kind.SINGLE, "多选题": Kind.MULTI, "判断题": Kind.JUDGE}
TOPICS = _lookup(Topic.choices) | {f"《{label}》": value for value, label in Topic.choices}
DIFFICULTIES = _lookup(Difficulty.choices) | {"容易": "easy", "中等": "medium", "困难": "hard", "较难": "hard"}


@dataclass
class ImportedRow:
    row: int
    kind_label: str
    stem: str
    answer: str
    topic_label: str


@dataclass
class ImportResult:
    created: list[ImportedRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def question_row(q: Question) -> list[str]:
    """One question in the import format (the export and the round trip)."""
    options = list(q.options) + [""] * (5 - len(q.options))
    answer = {"A": "正确", "B": "错误"}[q.answer] if q.kind == Kind.JUDGE else q.answer
    return [
        str(Kind(q.kind).label),
        q.stem,
        *options[:5],
        answer,
        q.explanation,
        q.source,
        str(Topic(q.topic).label),
        str(Difficulty(q.difficulty).label),
        q.basis,
    ]


def import_questions(bank: QuestionBank, rows: list[dict], *, dry_run: bool, by=None) -> ImportResult:
    """Check every row; with ``dry_run`` off and no error, create them all in one transaction and
    bump the bank's version. Audit: one quiz.questions.imported entry with the count."""
    result = ImportResult()
    if not rows:
        result.errors.append((1, "文件中没有数据行"))
        return result
    missing = [h for h in REQUIRED if h not in rows[0]]
    if missing:
        result.errors.append((1, "缺少列：" + "、".join(missing) + "（请使用导入模板）"))
        return result
    existing = set(Question.objects.filter(bank=bank).values_list("stem", flat=True))
    seen: dict[str, int] = {}
    new: list[Question] = []
    for row in rows:
        number = row["_row"]
        try:
            question = _question_from(row, bank)
        except QuizError as exc:
            result.errors.append((number, exc.message))
            continue
        if question.stem in existing:
            result.errors.append((number, "题库中已有相同题干的试题"))
            continue
        if question.stem in seen:
            result.errors.append((number, f"题干与第 {seen[question.stem]} 行重复"))
            continue
        seen[question.stem] = number
        new.append(question)
        result.created.append(
            ImportedRow(number, str(Kind(question.kind).label), question.stem, row.get("答案", ""), row.get("主题", ""))
        )
    if dry_run or result.errors:
        return result
    with transaction.atomic():
        Question.objects.bulk_create(new, batch_size=500)
        _bump_bank(bank)
        log_action(bank, "quiz.questions.imported", by=by, org=bank.owner, data={"count": len(new)})
    result.written = True
    return result


def _question_from(row: dict, bank: QuestionBank) -> Question:
    kind_text = row.get("题型", "").strip()
    kind = KINDS.get(kind_text)
    if kind is None:
        raise QuizError(f"题型“{kind_text}”无效，应为：单选、多选、判断" if kind_text else "缺少题型")
    topic_text = row.get("主题", "").strip()
    topic = TOPICS.get(topic_text)
    if topic is None:
        allowed = "、".join(str(label) for label in Topic.labels)
        raise QuizError(f"主题“{topic_text}”无效，应为：{allowed}" if topic_text else f"缺少主题，应为：{allowed}")
    difficulty_text = row.get("难度", "").strip()
    difficulty = DIFFICULTIES.get(difficulty_text or "中")
    if difficulty is None:
        raise QuizError(f"难度“{difficulty_text}”无效，应为：易、中、难")
    stem, options, answer = parse_question(
        kind=kind,
        stem=row.get("题干", ""),
        options=[row.get(c, "") for c in OPTION_COLUMNS],
        answer=row.get("答案", ""),
    )
    return Question(
        bank=bank,
        kind=kind,
        stem=stem,
        options=options,
        answer=answer,
        explanation=row.get("解析", "").strip(),
        source=row.get("出处", "").strip()[:200],
        topic=topic,
        difficulty=difficulty,
        basis=row.get("依据", "").strip(),
    )
