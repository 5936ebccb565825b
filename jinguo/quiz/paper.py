"""The paper: a bank's questions as the hot path holds them, drawing a paper, grading it, and the
JSON the phone receives, joined from pieces serialised once per bank version.

Pure code over ``BankData``: no cache and no query except ``load_bank`` (``memory`` keeps the
loaded banks). The plain versions of the JSON builders (dicts through a JSON encoder) are kept in
the tests as reference implementations (tests/quiz/reference.py), which these must equal.
"""

from __future__ import annotations

import functools
import itertools
import os
import random
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field

import orjson

from jinguo.quiz.models import JUDGE_OPTIONS, LETTERS, Difficulty, Kind, Question, Topic, full_marks


@dataclass(frozen=True)
class CachedQuestion:
    id: int
    kind: str
    stem: str
    options: tuple[str, ...]
    answer: str
    explanation: str
    source: str
    basis: str
    topic: str
    difficulty: str
    is_active: bool


@dataclass
class BankData:
    questions: dict[int, CachedQuestion]
    # (topic, kind, difficulty) -> ids of active questions
    pools: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    # question id -> its JSON for the phone, serialised once per bank version: the part before
    # the options and each option (the options are shuffled per attempt)
    json_parts: dict[int, tuple[bytes, tuple[bytes, ...]]] = field(default_factory=dict)
    # (topic, kind, difficulty) of a rule -> the ids it draws from, computed once per bank version
    matches: dict[tuple[str, str, str], tuple[int, ...]] = field(default_factory=dict)
    # (question id, option order) -> the right letters as shown in that order, and the review's
    # JSON of the options and of the right answer: a question has at most 5! orders
    shown: dict[tuple[int, tuple[int, ...]], tuple[str, bytes, bytes]] = field(default_factory=dict)

    def parts(self, qid: int) -> tuple[bytes, tuple[bytes, ...]]:
        hit = self.json_parts.get(qid)
        if hit is None:
            q = self.questions[qid]
            head = dumps({"kind": q.kind, "kind_label": str(Kind(q.kind).label), "stem": q.stem})[1:-1]
            hit = self.json_parts[qid] = (head, tuple(dumps(o) for o in q.options))
        return hit

    def in_order(self, qid: int, order) -> tuple[str, bytes, bytes]:
        """(right letters as shown, options JSON in that order, right answer JSON) of a question."""
        key = (qid, tuple(order))
        hit = self.shown.get(key)
        if hit is None:
            q = self.questions[qid]
            right = shown_letters(q.answer, order)
            options = b",".join(self.parts(qid)[1][i] for i in order)
            # A 判断 answer is shown as its option's text; letters (A-E) need no escaping.
            text = _JUDGE_JSON[LETTERS.index(right)] if q.kind == Kind.JUDGE and right else b'"%s"' % right.encode()
            hit = self.shown[key] = (right, options, text)
        return hit

    def tail(self, qid: int) -> bytes:
        """The explanation, source and basis of a question as JSON members, for the review."""
        hit = self.json_parts.get(-qid)
        if hit is None:
            q = self.questions[qid]
            hit = self.json_parts[-qid] = dumps({"explanation": q.explanation, "source": q.source, "basis": q.basis})[
                1:-1
            ]
        return hit

    def matching(self, rule: dict) -> tuple[int, ...]:
        key = (rule.get("topic") or "", rule.get("kind") or "", rule.get("difficulty") or "")
        hit = self.matches.get(key)
        if hit is None:
            hit = self.matches[key] = tuple(self._matching(rule))
        return hit

    def _matching(self, rule: dict) -> list[int]:
        out: list[int] = []
        for (topic, kind, difficulty), ids in self.pools.items():
            if rule.get("topic") and rule["topic"] != topic:
                continue
            if rule.get("kind") and rule["kind"] != kind:
                continue
            if rule.get("difficulty") and rule["difficulty"] != difficulty:
                continue
            out.extend(ids)
        return out

    def warm(self, rules) -> None:
        """Serialise now every piece the papers drawn by ``rules`` can need."""
        for rule in rules:
            for qid in self.matching(rule):
                self.parts(qid)
                self.tail(qid)


def load_bank(bank_id: int) -> BankData:
    """A bank's questions, read whole (the caller, ``memory``, runs it with scoping disabled)."""
    questions: dict[int, CachedQuestion] = {}
    pools: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for q in Question.objects.filter(bank_id=bank_id).order_by("id"):
        questions[q.pk] = CachedQuestion(
            id=q.pk,
            kind=q.kind,
            stem=q.stem,
            options=tuple(q.shown_options),
            answer=q.answer,
            explanation=q.explanation,
            source=q.source,
            basis=q.basis,
            topic=q.topic,
            difficulty=q.difficulty,
            is_active=q.is_active,
        )
        if q.is_active:
            pools[(q.topic, q.kind, q.difficulty)].append(q.pk)
    return BankData(questions=questions, pools=dict(pools))


# ---- rules and drawing ----------------------------------------------------------------------


def _specificity(rule: dict) -> int:
    return -sum(1 for k in ("topic", "kind", "difficulty") if rule.get(k))


def ordered_rules(rules) -> list[dict]:
    """The most specific rules draw first, so that a general rule cannot use up their questions."""
    return sorted((dict(r) for r in rules), key=_specificity)


def _overlaps(a: dict, b: dict) -> bool:
    return all(not a.get(k) or not b.get(k) or a[k] == b[k] for k in ("topic", "kind", "difficulty"))


def check_rules(rules, bank: BankData) -> list[str]:
    """Chinese messages for rules the bank cannot always satisfy (empty: every draw will work)."""
    errors = []
    done: list[dict] = []
    for rule in ordered_rules(rules):
        count = int(rule.get("count", 0))
        available = len(bank.matching(rule))
        taken = sum(int(r["count"]) for r in done if _overlaps(r, rule))
        if count > available - taken:
            label = "、".join(
                str(part)
                for part in [
                    Topic(rule["topic"]).label if rule.get("topic") else "全部主题",
                    Kind(rule["kind"]).label if rule.get("kind") else "全部题型",
                    Difficulty(rule["difficulty"]).label if rule.get("difficulty") else "全部难度",
                ]
            )
            errors.append(f"“{label}”要抽 {count} 题，题库中可用的只有 {max(0, available - taken)} 题")
        done.append(rule)
    return errors


_rng = random.Random(secrets.randbits(128))
# A forked worker must not draw the same papers as its siblings: reseed from the OS in the child.
os.register_at_fork(after_in_child=lambda: _rng.seed(secrets.randbits(128)))


def draw_paper(rules, bank: BankData, rng: random.Random | None = None) -> list[list]:
    """A random paper: [[question id, option order], ...]; the option order is shuffled per attempt
    (a 判断 question keeps 正确 before 错误). The default generator is seeded from the OS per
    process (SystemRandom reads /dev/urandom for every number: ~0.5 ms a paper)."""
    rng = rng or _rng
    used: set[int] = set()
    paper: list[list] = []
    for rule in ordered_rules(rules):
        pool = bank.matching(rule)
        if used:
            pool = [qid for qid in pool if qid not in used]
        picked = rng.sample(pool, min(int(rule.get("count", 0)), len(pool)))
        used.update(picked)
        for qid in picked:
            q = bank.questions[qid]
            n = len(q.options)
            # One of the n! orders, uniformly: one random number instead of a shuffle's n - 1.
            order = list(range(n)) if q.kind == Kind.JUDGE else list(rng.choice(_orders(n)))
            paper.append([qid, order])
    rng.shuffle(paper)
    return paper


@functools.cache
def _orders(n: int) -> tuple[tuple[int, ...], ...]:
    return tuple(itertools.permutations(range(n)))


def max_score(paper, bank: BankData, points: dict) -> int:
    """The full marks of a drawn paper."""
    return full_marks((bank.questions[qid].kind for qid, _ in paper), points)


# ---- JSON for the phone ---------------------------------------------------------------------


def dumps(value) -> bytes:
    """Compact JSON as UTF-8 bytes (orjson: what json.dumps with ensure_ascii=False and no spaces
    gives, several times faster; the start and the submit each serialise their answer with it)."""
    return orjson.dumps(value)


def with_member(head: dict, name: str, raw: bytes) -> bytes:
    """``head`` as a JSON object with one more member whose value is the JSON ``raw`` (a paper or
    a review joined from pieces): what dumps({**head, name: json.loads(raw)}) gives."""
    return dumps(head)[:-1] + b',"%s":%s}' % (name.encode(), raw)


def public_paper_json(paper, bank: BankData) -> bytes:
    """What the participant's phone receives: stems and shuffled options, never answers; joined
    from pieces serialised once per bank version."""
    items = []
    for position, (qid, order) in enumerate(paper):
        head, options = bank.parts(qid)
        items.append(b'{"n":%d,%s,"options":[%s]}' % (position, head, b",".join(options[i] for i in order)))
    return b"[" + b",".join(items) + b"]"


def review_json(paper, answers: dict[str, str], bank: BankData, points: dict, *, with_paper: bool = True) -> bytes:
    """The paper with the answers given, the right ones, the points and the explanations, for after
    the submit. Without the paper (``with_paper=False``: the phone that just submitted holds the
    stems and options), each item has only its position, the answers, the points and the explanation."""
    items = []
    for position, (qid, order) in enumerate(paper):
        q = bank.questions[qid]
        right, options, text = bank.in_order(qid, order)
        given = answers.get(_POSITIONS[position] if position < len(_POSITIONS) else str(position), "")
        if not isinstance(given, str) or not _CLEAN_LETTERS.fullmatch(given):  # stored answers are clean
            given = normalize_letters(given)  # A-E only: safe inside the quotes below
        ok = bool(given) and given == right
        paper_part = b'%s,"options":[%s],' % (bank.parts(qid)[0], options) if with_paper else b""
        items.append(
            b'{"n":%d,%s"given":"%s","answer":"%s","answer_text":%s,"correct":%s,"points":%d,%s}'
            % (
                position,
                paper_part,
                given.encode(),
                right.encode(),
                text,
                b"true" if ok else b"false",
                points[q.kind] if ok else 0,
                bank.tail(qid),
            )
        )
    return b"[" + b",".join(items) + b"]"


_POSITIONS = tuple(str(i) for i in range(200))  # answer keys: "0", "1", ...


# ---- answers and grading --------------------------------------------------------------------

LETTER_RE = re.compile(r"[^A-E]")
_CLEAN_LETTERS = re.compile(r"A?B?C?D?E?")  # what normalize_letters returns: each letter once, in order
_JUDGE_JSON = tuple(orjson.dumps(text) for text in JUDGE_OPTIONS)


def normalize_letters(value) -> str:
    """ "a、c d" -> "AC": upper case, separators dropped, each letter once, in order."""
    if not isinstance(value, str):
        return ""
    letters = set(LETTER_RE.sub("", value.upper()))
    return "".join(sorted(letters))


def clean_answers(raw, paper) -> dict[str, str]:
    """Answers as the phone sends them ({"3": "AC"}), limited to the paper's positions and options."""
    if not isinstance(raw, dict):
        return {}
    out = {}
    for key, value in raw.items():
        try:
            position = int(key)
        except (TypeError, ValueError):
            continue
        if not 0 <= position < len(paper):
            continue
        n = len(paper[position][1])
        if isinstance(value, str) and value in _VALID_ANSWERS[n]:  # what quiz.js sends: already clean
            out[str(position)] = value
            continue
        letters = "".join(c for c in normalize_letters(value) if LETTERS.index(c) < n)
        if letters:
            out[str(position)] = letters
    return out


# For n options: every non-empty set of letters, each once and in order ("A", "AC", "ABD", ...).
_VALID_ANSWERS = tuple(
    frozenset("".join(c) for k in range(1, n + 1) for c in itertools.combinations(LETTERS[:n], k)) for n in range(6)
)


def shown_letters(original: str, order: list[int]) -> str:
    """The letters, as shown in ``order``, of the options that are ``original`` in the bank."""
    return "".join(LETTERS[i] for i, idx in enumerate(order) if LETTERS[idx] in original)


@dataclass(kw_only=True)
class Grade:
    score: int
    correct: int
    max_score: int


def grade(paper, answers: dict[str, str], bank: BankData, points: dict) -> Grade:
    """All or nothing per question, multiple choice included. ``answers`` as ``clean_answers``
    returns them (each letter once, in order), so the given letters equal the right ones as
    shown exactly when they name the right options."""
    score = correct = 0
    for position, (qid, order) in enumerate(paper):
        given = answers.get(_POSITIONS[position] if position < len(_POSITIONS) else str(position))
        if given and given == bank.in_order(qid, order)[0]:
            score += points[bank.questions[qid].kind]
            correct += 1
    return Grade(score=score, correct=correct, max_score=max_score(paper, bank, points))
