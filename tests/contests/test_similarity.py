"""Copy detection without a database: planted copies found, quoted law, boilerplate and shared
phrases not flagged, unrelated texts not flagged, the same answer every time and in every process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from bench.contests_essays import EssayMaker, make_collection
from jinguo.contests import similarity
from jinguo.contests.similarity import (
    NO_DISCOUNT,
    Corpus,
    Fingerprint,
    containment,
    discounted_spans,
    find_overlaps,
    shared_passages,
)

ROOT = Path(__file__).resolve().parents[2]
THRESHOLD = similarity.DEFAULT_THRESHOLD


@cache
def collection():
    return make_collection(essays=120, copies=8, seed=7)


def _pairs(results):
    return {(a, b) for a, b, _ in results}


def _essay(seed: int, chars: int = 1500) -> str:
    return EssayMaker(seed).essay(chars)


def _brute_force(texts: dict[str, str], threshold: float) -> set[tuple[str, str]]:
    """The reference: every pair scored exactly, no LSH."""
    corpus = Corpus()
    for key in sorted(texts):
        corpus.add(key, texts[key])
    common = similarity._common_hashes([corpus])
    sets = {key: similarity._Text.of(fp, common) for key, fp in corpus.prints.items()}
    keys = sorted(sets)
    found = set()
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            score, shared = containment(sets[a], sets[b])
            if score >= threshold and shared >= similarity.MIN_SHARED:
                found.add((a, b))
    return found


def test_find_overlaps_finds_exactly_the_planted_copies():
    texts, plants = collection()
    assert {p.kind for p in plants} == {"whole", "partial"}
    assert {p.edited for p in plants} == {True, False}

    results = find_overlaps(texts, threshold=THRESHOLD)

    assert _pairs(results) == {(p.source, p.copy) for p in plants}
    assert [r[2] for r in results] == sorted((r[2] for r in results), reverse=True)


def test_find_overlaps_agrees_with_brute_force():
    texts, _ = collection()

    assert _pairs(find_overlaps(texts, threshold=0.1)) == _brute_force(texts, 0.1)


def test_scores_whole_copy_one_and_partial_copy_its_share():
    maker = EssayMaker(11)
    source = maker.essay(2000)
    whole = maker.whole_copy(source, edited=False)
    half = maker.partial_copy(source, share=0.5, edited=False)
    other = _essay(12, 2000)

    texts = {"src": source, "whole": whole, "half": half, "x": other}
    results = {(a, b): s for a, b, s in find_overlaps(texts, threshold=0.1)}

    assert set(results) == {("src", "whole"), ("half", "src"), ("half", "whole")}
    assert results[("src", "whole")] > 0.99
    assert 0.4 < results[("half", "src")] < 0.7


def test_law_quotations_are_not_flagged():
    maker = EssayMaker(3)
    articles = maker.articles[:7]  # ~500 characters of law both essays quote in full
    assert sum(len(a) for a in articles) > 400
    a = _essay(21, 1200) + "".join(articles)
    b = "".join(articles) + _essay(22, 1200)

    assert find_overlaps({"a": a, "b": b}, threshold=0.05) == []
    # Without the discount the same texts are flagged: the discount is what keeps them out.
    corpus = Corpus(discount=NO_DISCOUNT)
    corpus.add("a", a)
    corpus.add("b", b)
    assert _pairs(corpus.overlaps(threshold=0.05)) == {("a", "b")}


def test_boilerplate_is_not_flagged():
    slogans = "。".join(similarity.boilerplate_phrases() * 2)
    a = slogans + _essay(31, 1000)
    b = _essay(32, 1000) + slogans

    assert find_overlaps({"a": a, "b": b}, threshold=0.05) == []


def test_phrases_shared_by_many_texts_are_discounted_but_by_two_are_a_copy():
    maker = EssayMaker(40)
    phrases = [maker.sentence() for _ in range(10)]  # short stretches, each well under LONG_COMMON_RUN

    def with_phrases(seed: int) -> str:
        """An essay with the phrases spread through it, two of its own sentences between them."""
        own = re.findall(r"[^。]+。", _essay(seed, 1200))
        return "".join(s + (phrases[i // 2] if i % 2 and i // 2 < len(phrases) else "") for i, s in enumerate(own))

    many = {f"t{i:02d}": with_phrases(100 + i) for i in range(similarity.COMMON_MIN_TEXTS)}
    two = {f"t{i:02d}": with_phrases(100 + i) for i in range(2)}

    # 0.15: a handful of generated essays share their templates' wording up to ~0.12 (a batch
    # that small learns few common phrases of its own); the phrases alone score ~0.3.
    assert find_overlaps(many, threshold=0.15) == []
    assert _pairs(find_overlaps(two, threshold=0.15)) == {("t00", "t01")}


def test_unrelated_texts_are_not_flagged():
    texts = {f"u{i}": _essay(200 + i) for i in range(30)}

    assert find_overlaps(texts, threshold=THRESHOLD) == []


def test_short_texts_are_not_flagged_for_one_shared_sentence():
    sentence = "她把自己多年的积蓄拿出来，带动周边农户搞起了刺梨种植，生活渐渐好了起来。"
    long = _essay(50, 1500)
    texts = {"short": sentence, "long": long[:400] + sentence + long[400:], "tiny": "妇联"}

    assert find_overlaps(texts, threshold=0.05) == []


def test_short_poem_copied_into_a_long_text_is_found():
    poem = EssayMaker(60).paragraph(200)
    long = EssayMaker(61).essay(6000)
    texts = {"poem": poem, "report": long[:3000] + poem + long[3000:]}

    results = find_overlaps(texts, threshold=0.5)

    assert [(a, b) for a, b, _ in results] == [("poem", "report")]
    assert results[0][2] > 0.95


def test_fingerprints_stored_as_bytes_give_the_same_overlaps():
    texts, _ = collection()
    direct = find_overlaps(texts, threshold=THRESHOLD)
    stored = {key: Fingerprint.of(text).to_bytes() for key, text in texts.items()}

    corpus = Corpus()
    for key in sorted(stored):
        corpus.add_fingerprint(key, Fingerprint.from_bytes(stored[key]))

    assert corpus.overlaps(threshold=THRESHOLD) == direct


def test_fingerprint_of_another_discount_is_refused():
    fingerprint = Fingerprint.of("她把自己多年的积蓄拿出来搞起了刺梨种植", discount=NO_DISCOUNT)

    with pytest.raises(ValueError, match="another discount"):
        Corpus().add_fingerprint("a", fingerprint)


def test_against_a_corpus_compares_new_texts_with_it_but_not_the_corpus_with_itself():
    maker = EssayMaker(70)
    old, reference = maker.essay(1500), maker.essay(1500)
    earlier = Corpus()
    earlier.add("old", old)
    earlier.add("old-copy", maker.whole_copy(old, edited=False))  # an old case, not this year's
    earlier.add("ref", reference)
    contest = Corpus()
    contest.add("new1", maker.partial_copy(reference, share=0.5, edited=True))
    contest.add("new2", maker.whole_copy(old, edited=True))
    contest.add("new3", maker.essay(1500))

    assert _pairs(contest.overlaps(threshold=THRESHOLD, against=earlier)) == {
        ("new1", "ref"),
        ("new2", "old"),
        ("new2", "old-copy"),
    }


def test_results_are_the_same_in_another_process():
    """No dependence on Python's per-process string hashing or on dict order."""
    texts, _ = collection()
    here = find_overlaps(texts, threshold=THRESHOLD)
    code = (
        "import json; from bench.contests_essays import make_collection; "
        "from jinguo.contests.similarity import find_overlaps; "
        "t, _ = make_collection(essays=120, copies=8, seed=7); "
        "print(json.dumps(find_overlaps(dict(reversed(list(t.items()))), threshold=0.1)))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(  # noqa: S603 our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )

    assert [tuple(r) for r in json.loads(out.stdout)] == here


def test_shared_passages_point_at_the_same_text_in_both():
    maker = EssayMaker(80)
    source = maker.essay(2000)
    copy = maker.partial_copy(source, share=0.4, edited=False)

    passages = shared_passages(copy, source)

    assert passages
    for p in passages:  # the same characters, but for a few changed ones inside a passage
        in_copy = similarity._normalise(copy[p.a_start : p.a_end])[0]
        in_source = similarity._normalise(source[p.b_start : p.b_end])[0]
        assert len(in_copy) == len(in_source)
        assert (in_copy != in_source).sum() <= similarity.PASSAGE_GAP
    covered = sum(p.a_end - p.a_start for p in passages)
    assert 0.3 * len(copy) < covered < 0.6 * len(copy)


def test_shared_passages_survive_a_changed_character_and_skip_quoted_law():
    article = EssayMaker(3).articles[0]
    own = EssayMaker(81).paragraph(300)
    a = own + article
    b = own[:150] + "变" + own[151:] + "另外的话。" + article

    passages = shared_passages(a, b)

    end = len(own.rstrip("。！？”"))
    assert [(p.a_start, p.a_end, p.b_start, p.b_end) for p in passages] == [(0, end, 0, end)]
    assert discounted_spans(b)[0][0] >= len(own) + len("另外的话。")
    assert discounted_spans(b)[-1][1] >= len(b) - 2


def test_normalise_ignores_punctuation_spacing_and_full_width():
    codes_a, _ = similarity._normalise("妇女 权益，ＡＢＣ１２３！")
    codes_b, offsets = similarity._normalise("妇女权益abc123")

    assert codes_a.tolist() == codes_b.tolist()
    assert offsets.tolist() == list(range(10))


def test_one_source_copied_by_many_is_still_found():
    """Six texts sharing a whole essay are not a "common phrase": its stretches are too long."""
    maker = EssayMaker(90)
    source = maker.essay(1500)
    ring = {"s": source, **{f"c{i}": maker.whole_copy(source, edited=False) for i in range(5)}}
    others = {f"o{i:02d}": _essay(300 + i, 1500) for i in range(14)}

    found = _pairs(find_overlaps({**ring, **others}, threshold=THRESHOLD))

    assert found == {(a, b) for a in ring for b in ring if a < b}
