"""Importing questions: the agreed CSV/XLSX format, row-level Chinese errors, all or nothing."""

from __future__ import annotations

import csv
import io

import pytest

from jinguo.audit.models import AuditEntry
from jinguo.lib.excel import build_workbook, read_table
from jinguo.quiz.importing import HEADER, import_questions, question_row
from jinguo.quiz.models import Kind, Question, QuestionBank, Topic

GOOD = [
    [
        "单选",
        "妇女权益保障法自哪一天起施行？",
        "2022年10月30日",
        "2023年1月1日",
        "2023年3月8日",
        "",
        "",
        "B",
        "第八十六条。",
        "《妇女权益保障法》第八十六条",
        "妇女权益保障法",
        "易",
        "本法自2023年1月1日起施行。",
    ],
    [
        "多选",
        "家庭暴力包括哪些行为？",
        "殴打",
        "捆绑",
        "残害",
        "经常性谩骂、恐吓",
        "正常管教",
        "a、b，C/D",
        "",
        "《反家庭暴力法》第二条",
        "反家庭暴力法",
        "中",
        "本法所称家庭暴力，是指家庭成员之间以殴打、捆绑、残害、限制人身自由以及经常性谩骂、恐吓等方式实施的身体、精神等侵害行为。",
    ],
    [
        "判断",
        "父母或者其他监护人应当树立家庭是第一个课堂、家长是第一任老师的责任意识。",
        "",
        "",
        "",
        "",
        "",
        "正确",
        "",
        "《家庭教育促进法》第十四条",
        "家庭教育促进法",
        "难",
        "父母或者其他监护人应当树立家庭是第一个课堂、家长是第一个老师的责任意识",
    ],
]


def _csv(rows, header=HEADER) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _rows(rows):
    return read_table(_csv(rows), "bank.csv")


@pytest.fixture
def empty_bank(tree):
    return QuestionBank.objects.create(owner=tree.city, name="导入测试")


def test_import_accepts_the_agreed_format(empty_bank, users):
    result = import_questions(empty_bank, _rows(GOOD), dry_run=False, by=users.city_admin)
    assert (result.ok, result.written, len(result.created)) == (True, True, 3)
    single, multi, judge = Question.objects.filter(bank=empty_bank).order_by("id")
    assert (single.kind, single.options, single.answer, single.topic, single.difficulty) == (
        Kind.SINGLE,
        ["2022年10月30日", "2023年1月1日", "2023年3月8日"],
        "B",
        Topic.WOMEN_RIGHTS,
        "easy",
    )
    assert (multi.answer, len(multi.options)) == ("ABCD", 5)
    assert (judge.kind, judge.options, judge.answer, judge.difficulty) == (Kind.JUDGE, [], "A", "hard")
    assert single.basis == "本法自2023年1月1日起施行。"
    assert single.source == "《妇女权益保障法》第八十六条"
    empty_bank.refresh_from_db()
    assert empty_bank.version == 2
    assert AuditEntry.objects.filter(action="quiz.questions.imported").count() == 1


def test_import_reads_xlsx(empty_bank):
    buf = io.BytesIO()
    build_workbook([("试题", HEADER, GOOD)]).save(buf)
    result = import_questions(empty_bank, read_table(buf.getvalue(), "bank.xlsx"), dry_run=False)
    assert result.written and Question.objects.filter(bank=empty_bank).count() == 3


def test_dry_run_writes_nothing(empty_bank):
    result = import_questions(empty_bank, _rows(GOOD), dry_run=True)
    assert (result.ok, result.written, len(result.created)) == (True, False, 3)
    assert Question.objects.count() == 0


def _bad(**changes):
    row = list(GOOD[0])
    for index, value in changes.items():
        row[int(index[1:])] = value
    return row


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_bad(c7=""), "缺少答案"),
        (_bad(c7="E"), "答案“E”中的 E 不在选项中（只有 A–C）"),
        (_bad(c7="AB"), "单选题只能有一个答案，不能是“AB”"),
        (_bad(c7="第二个"), "答案“第二个”无效，应填写选项字母，如 B 或 ACD"),
        (_bad(c0="填空"), "题型“填空”无效，应为：单选、多选、判断"),
        (
            _bad(c10="宪法"),
            "主题“宪法”无效，应为：妇女权益保障法、反家庭暴力法、家庭教育促进法、未成年人保护法、民法典婚姻家庭编、党章、党规党纪、妇联章程",
        ),
        (_bad(c11="很难"), "难度“很难”无效，应为：易、中、难"),
        (_bad(c1=""), "题干不能为空"),
        (_bad(c3=""), "选项B为空：选项要从 A 开始连续填写"),
        (_bad(c3="2022年10月30日"), "选项内容有重复"),
        (
            ["多选", "多选只有一个答案", "甲", "乙", "", "", "", "A", "", "", "党章", "中", ""],
            "多选题至少要有两个正确选项，不能只有“A”",
        ),
        (
            ["判断", "判断题答案错", "", "", "", "", "", "B", "", "", "党章", "中", ""],
            "判断题的答案应为“正确”或“错误”，不能是“B”",
        ),
        (
            ["判断", "判断题带选项", "对的", "错的", "", "", "", "正确", "", "", "党章", "中", ""],
            "判断题不需要填写选项（选项固定为“正确”“错误”）",
        ),
    ],
)
def test_import_row_errors(empty_bank, row, message):
    result = import_questions(empty_bank, _rows([GOOD[1], row]), dry_run=False)
    assert result.errors == [(3, message)]
    assert result.written is False
    assert Question.objects.count() == 0  # atomic: the good row is not written either


def test_duplicate_stems_in_the_file_and_in_the_bank(empty_bank):
    import_questions(empty_bank, _rows([GOOD[0]]), dry_run=False)
    result = import_questions(empty_bank, _rows([GOOD[0], GOOD[1], GOOD[1]]), dry_run=False)
    assert result.errors == [(2, "题库中已有相同题干的试题"), (4, "题干与第 3 行重复")]
    assert Question.objects.count() == 1


def test_missing_columns(empty_bank):
    result = import_questions(
        empty_bank, read_table(_csv([["单选", "x"]], header=["题型", "题干"]), "b.csv"), dry_run=True
    )
    assert result.errors == [(1, "缺少列：答案、主题（请使用导入模板）")]


def test_export_row_round_trips(empty_bank, tree):
    import_questions(empty_bank, _rows(GOOD), dry_run=False)
    exported = [question_row(q) for q in Question.objects.filter(bank=empty_bank).order_by("id")]
    other = QuestionBank.objects.create(owner=tree.city, name="副本")
    result = import_questions(other, _rows(exported), dry_run=False)
    assert result.written
    assert list(Question.objects.filter(bank=other).values_list("stem", "answer", "options")) == list(
        Question.objects.filter(bank=empty_bank).values_list("stem", "answer", "options")
    )
