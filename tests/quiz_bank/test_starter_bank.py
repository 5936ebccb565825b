"""The starter question bank for the knowledge quiz (知识竞赛).

Every row is checked for form (type, answer, options, topic, difficulty), the bank for size and spread,
and, above all, every 依据 must be a verbatim quote of the very article that 出处 cites, taken from the
law texts in data/laws/. No database is needed.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "data" / "questions" / "starter-bank.csv"
LAWS = ROOT / "data" / "laws"

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "答案", "解析", "出处", "主题", "难度", "依据"]
OPTION_COLUMNS = ["选项A", "选项B", "选项C", "选项D", "选项E"]
LETTERS = "ABCDE"
KINDS = {"单选", "多选", "判断"}
LEVELS = {"易", "中", "难"}

# 主题 -> (the law's short name as cited in 出处, its file in data/laws/)
TOPICS = {
    "妇女权益保障法": ("妇女权益保障法", "妇女权益保障法(2022-10-30).md"),
    "反家庭暴力法": ("反家庭暴力法", "反家庭暴力法(2015-12-27).md"),
    "家庭教育促进法": ("家庭教育促进法", "家庭教育促进法(2021-10-23).md"),
    "未成年人保护法": ("未成年人保护法", "未成年人保护法(2024-04-26).md"),
    "民法典婚姻家庭编": ("民法典", "婚姻家庭编.md"),
}

# The demo quiz is about the 2022 law: it needs enough of each type.
WOMEN = "妇女权益保障法"
WOMEN_MINIMUM = {"单选": 25, "多选": 15, "判断": 15}
OTHER_LAW_MINIMUM = 25
BANK_MINIMUM = 150

NUMERAL = "零〇一二三四五六七八九十百千"
ARTICLE_HEADING = re.compile(rf"^(第[{NUMERAL}]+条)[ \u3000]+(.*)$")
SOURCE = re.compile(rf"^《([^《》]+)》(第[{NUMERAL}]+条)$")
WHITESPACE = re.compile(r"\s+")


def chinese_number(numeral: str) -> int:
    """一千零四十二 -> 1042 (article numbers only go into the thousands)."""
    digits = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    units = {"十": 10, "百": 100, "千": 1000}
    total, digit = 0, 0
    for character in numeral:
        if character in digits:
            digit = digits[character]
        else:
            total += (digit or 1) * units[character]
            digit = 0
    return total + digit


def squash(text: str) -> str:
    """Compare Chinese text with whitespace (line breaks, stray spaces) taken out, nothing else changed."""
    return WHITESPACE.sub("", text)


@cache
def articles(file_name: str) -> dict[str, str]:
    """第X条 -> the article's text: from its heading to the next article (or chapter/section) heading."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (LAWS / file_name).read_text(encoding="utf-8").splitlines():
        heading = ARTICLE_HEADING.match(line)
        if heading:
            number, first_line = heading.groups()
            assert number not in found, f"{file_name}: {number} appears twice"
            current = found[number] = [first_line]
        elif line.startswith("#"):
            current = None
        elif current is not None:
            current.append(line)
    return {number: "\n".join(lines).strip() for number, lines in found.items()}


@cache
def rows() -> list[dict[str, str]]:
    with BANK.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def label(index: int, row: dict[str, str]) -> str:
    return f"row {index + 2} ({row.get('出处', '')}: {row.get('题干', '')[:24]})"


def problems(check) -> list[str]:
    found = []
    for index, row in enumerate(rows()):
        for problem in check(row):
            found.append(f"{label(index, row)}: {problem}")
    return found


def test_header_is_exact():
    with BANK.open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == HEADER


@pytest.mark.parametrize("file_name", sorted(file for _, file in TOPICS.values()))
def test_every_law_file_parses_into_articles(file_name):
    numbers = [chinese_number(number[1:-1]) for number in articles(file_name)]
    assert len(numbers) >= 30
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "articles missing or out of order"
    assert all(articles(file_name).values()), "an article with no text"


def test_no_stray_whitespace_and_no_missing_cells():
    def check(row):
        if None in row or len(row) != len(HEADER):
            yield "wrong number of cells"
        for column, value in row.items():
            if value is not None and value != value.strip():
                yield f"{column} has leading or trailing whitespace"
        for column in ("题干", "答案", "解析", "出处", "依据"):
            if not (row.get(column) or "").strip():
                yield f"{column} is empty"
        if re.search(r"(?<![A-Za-z])[A-E](?![A-Za-z])", row.get("解析") or ""):
            yield "解析 names an option by its letter (options may be shown in another order)"

    assert problems(check) == []


def test_type_topic_and_difficulty_are_valid():
    def check(row):
        if row["题型"] not in KINDS:
            yield f"题型 {row['题型']!r}"
        if row["主题"] not in TOPICS:
            yield f"主题 {row['主题']!r}"
        if row["难度"] not in LEVELS:
            yield f"难度 {row['难度']!r}"

    assert problems(check) == []


def test_options_and_answers_are_well_formed():
    def check(row):
        kind = row["题型"]
        options = [row[column] for column in OPTION_COLUMNS]
        answer = row["答案"]
        if kind == "判断":
            if any(options):
                yield "a 判断 question has options"
            if answer not in {"正确", "错误"}:
                yield f"判断 answer {answer!r} is not 正确/错误"
            return
        given = [letter for letter, option in zip(LETTERS, options, strict=True) if option]
        if given not in (list("ABCD"), list("ABCDE")):
            yield f"options given are {''.join(given)}, expected A–D or A–E"
        filled = [option for option in options if option]
        if len(set(filled)) != len(filled):
            yield "two options are the same"
        if kind == "单选":
            if not re.fullmatch(r"[A-E]", answer):
                yield f"单选 answer {answer!r} is not one letter"
        elif kind == "多选":
            if not re.fullmatch(r"[A-E]{2,5}", answer):
                yield f"多选 answer {answer!r} is not 2–5 letters"
            elif list(answer) != sorted(set(answer)):
                yield f"多选 answer {answer!r} has repeated or unsorted letters"
        if any(letter not in given for letter in answer):
            yield f"answer {answer!r} names an option that is not given"

    assert problems(check) == []


def test_no_duplicate_stems():
    counts = Counter(squash(row["题干"]) for row in rows())
    assert [stem for stem, count in counts.items() if count > 1] == []


def test_bank_size_and_spread():
    assert len(rows()) >= BANK_MINIMUM
    by_topic = Counter(row["主题"] for row in rows())
    by_topic_and_kind = Counter((row["主题"], row["题型"]) for row in rows())
    for kind, minimum in WOMEN_MINIMUM.items():
        assert by_topic_and_kind[WOMEN, kind] >= minimum, (kind, by_topic_and_kind[WOMEN, kind])
    for topic in TOPICS:
        if topic != WOMEN:
            assert by_topic[topic] >= OTHER_LAW_MINIMUM, (topic, by_topic[topic])
        for kind in KINDS:
            assert by_topic_and_kind[topic, kind] >= 5, (topic, kind)
        levels = Counter(row["难度"] for row in rows() if row["主题"] == topic)
        assert set(levels) == LEVELS, (topic, levels)


def test_source_cites_an_existing_article_of_the_topic_law():
    def check(row):
        match = SOURCE.fullmatch(row["出处"])
        if not match:
            yield f"出处 {row['出处']!r} is not of the form 《法名》第X条"
            return
        law, number = match.groups()
        if row["主题"] not in TOPICS:
            return
        short_name, file_name = TOPICS[row["主题"]]
        if law != short_name:
            yield f"出处 cites 《{law}》 but 主题 is {row['主题']} (expected 《{short_name}》)"
        elif number not in articles(file_name):
            yield f"{number} does not exist in {file_name}"

    assert problems(check) == []


def test_basis_is_a_verbatim_quote_of_the_cited_article():
    def check(row):
        basis = squash(row["依据"])
        if not 10 <= len(basis) <= 80:
            yield f"依据 is {len(basis)} characters, expected 10–80"
        match = SOURCE.fullmatch(row["出处"])
        if not match or row["主题"] not in TOPICS:
            return  # reported by the test above
        number = match.group(2)
        text = articles(TOPICS[row["主题"]][1]).get(number)
        if text is not None and basis not in squash(text):
            yield f"依据 {row['依据']!r} is not in the text of {number}"

    assert problems(check) == []
