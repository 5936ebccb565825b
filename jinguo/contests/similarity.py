"""Copy detection for contest texts: which texts share passages, how much, and where.

Decision support, a person decides (issue 13 §4). The pipeline:

1. normalise: punctuation and spaces dropped, full-width letters and digits folded, so that a
   copy cannot hide behind re-punctuation or re-wrapping;
2. character n-grams (``N`` = 6 characters), each hashed to 64 bits;
3. discounted n-grams removed: quoted law (every text in ``data/laws/``), the shared boilerplate
   list ``data/contests/boilerplate.txt``, and — when a batch is compared — n-grams that appear in
   many of its texts (a phrase everybody uses is no evidence of copying);
4. candidates from MinHash LSH (datasketch) over windows of the n-gram sequence and the whole
   sequence: windows so that a short text copied into a long one (a poem inside a report) still
   looks alike, the whole text so that a copy with its sentences reordered does;
5. exact containment on the candidates: the share of a text's n-grams that lie in a shared run
   of at least ``MIN_RUN`` consecutive n-grams (a passage of ~13 characters or more that the other
   text has too; scattered short phrases are no copy), taken in the direction where it is larger,
   a text counted as at least ``MIN_NGRAMS`` n-grams long (a short text is not 100 % copied
   because it shares one sentence), and at least ``MIN_SHARED`` n-grams in shared runs.

``find_overlaps`` is the plain entry point and needs no database. A ``Corpus`` keeps fingerprints
(the n-gram sequence and the window signatures, storable as bytes with ``Fingerprint.to_bytes``) so that
earlier contests' entries and reference texts are not re-hashed for every check.
``shared_passages`` and ``discounted_spans`` give the character spans for a side-by-side view.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

ROOT = Path(__file__).resolve().parents[2]
LAWS_DIR = ROOT / "data" / "laws"
BOILERPLATE_FILE = ROOT / "data" / "contests" / "boilerplate.txt"

N = 6  # characters per n-gram: long enough that chance matches between Chinese texts are rare
NUM_PERM = 128  # MinHash permutations
LSH_BANDS, LSH_ROWS = 42, 3  # 42 bands of 3 rows: see the S-curve note in _lsh
SEED = 2023
WINDOW = 400  # n-grams per LSH window (about 400 characters); windows overlap by half
MIN_NGRAMS = 100  # a text with fewer n-grams is "short": its containment counts it as this long
DEFAULT_THRESHOLD = 0.1  # unrelated essays score < 0.04, a third copied and edited > 0.15 (docs/benchmarks.md)
MIN_SHARED = 40  # fewer n-grams in shared runs than this is never reported (one sentence is no copy)
MIN_RUN = 8  # consecutive shared n-grams (about 13 characters) for a passage to count
# An n-gram in at least max(5, 5 % of the batch) texts is a common phrase, not evidence: writers of
# one contest share its theme's wording. Unless it lies in a stretch of LONG_COMMON_RUN common
# n-grams (~105 characters): that is a passage several texts copied from one source, and counts.
COMMON_MIN_TEXTS, COMMON_SHARE = 5, 0.05
LONG_COMMON_RUN = 100
MIN_PASSAGE = 13  # characters (normalised) for a highlighted passage
PASSAGE_GAP = 3  # a passage broken by up to this many changed characters stays one passage

_KEEP = re.compile(r"[^\W_]+")
_FOLD = str.maketrans(
    {**{chr(0xFF01 + i): chr(0x21 + i).lower() for i in range(94)}, **{chr(c): chr(c + 32) for c in range(65, 91)}}
)
_MULT = np.uint64(0x100000001B3)
_EMPTY = np.empty(0, dtype=np.uint64)
_FORMAT = 1  # bump when fingerprints stored as bytes can no longer be read


# --- n-grams ----------------------------------------------------------------------------------


def _normalise(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The kept characters as code points, and each one's offset in ``text`` (for highlighting)."""
    text = text.translate(_FOLD)  # one character for one: offsets stay valid
    matches = [(m.start(), m.group()) for m in _KEEP.finditer(text)]
    if not matches:
        return _EMPTY, np.empty(0, dtype=np.int64)
    joined = "".join(chunk for _, chunk in matches)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    starts = np.array([start for start, _ in matches], dtype=np.int64)
    lengths = np.array([len(chunk) for _, chunk in matches], dtype=np.int64)
    before = np.cumsum(lengths) - lengths  # position of each chunk in the joined string
    offsets = np.arange(len(joined), dtype=np.int64) + np.repeat(starts - before, lengths)
    return codes, offsets


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the polynomial hash over all 64 bits (a bijection)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _ngram_hashes(codes: np.ndarray, n: int = N) -> np.ndarray:
    """The hash of the n-gram starting at each position, in text order (uint64, wrapping)."""
    m = len(codes) - n + 1
    if m <= 0:
        return _EMPTY
    h = np.zeros(m, dtype=np.uint64)
    for k in range(n):
        h = h * _MULT + codes[k : k + m]
    return _mix(h)


def _hashes_of(text: str) -> np.ndarray:
    return _ngram_hashes(_normalise(text)[0])


def _isin_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted, unique ``sorted_set``, by binary search (no copy of the set)."""
    if not len(sorted_set) or not len(values):
        return np.zeros(len(values), dtype=bool)
    idx = np.searchsorted(sorted_set, values)
    idx[idx == len(sorted_set)] = 0
    return sorted_set[idx] == values


def _covered(hashes: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """Per character of the normalised text: is it inside a discounted n-gram?"""
    hit = np.flatnonzero(_isin_sorted(hashes, discount))
    delta = np.zeros(len(hashes) + N, dtype=np.int32) if len(hashes) else np.zeros(0, dtype=np.int32)
    np.add.at(delta, hit, 1)
    np.add.at(delta, hit + N, -1)
    return np.cumsum(delta[:-1]) > 0 if len(delta) else np.zeros(0, dtype=bool)


def _counted(hashes: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """Per n-gram: does it count? Not when half or more of its characters are discounted, so that
    the n-grams bridging two slogans, or a quotation and "第二条规定", go with them."""
    covered = _covered(hashes, discount)
    if not covered.any():
        return np.ones(len(hashes), dtype=bool)
    prefix = np.concatenate([[0], np.cumsum(covered)])
    return (prefix[N : N + len(hashes)] - prefix[: len(hashes)]) * 2 < N


def _shared_count(a: np.ndarray, b: np.ndarray) -> int:
    if len(a) > len(b):
        a, b = b, a
    return int(np.count_nonzero(_isin_sorted(a, b)))


# --- what is discounted -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Discount:
    """N-grams that never count as copying: quoted law and boilerplate. ``version`` names the
    set, so that a stored fingerprint made with another set is recomputed, not compared."""

    hashes: np.ndarray  # sorted, unique
    version: str

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Discount:
        texts = list(texts)
        parts = [_hashes_of(t) for t in texts]
        hashes = np.unique(np.concatenate(parts)) if parts else _EMPTY
        digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
        return cls(hashes=hashes, version=f"{_FORMAT}.{N}.{digest}")


def boilerplate_phrases() -> list[str]:
    lines = BOILERPLATE_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@cache
def default_discount() -> Discount:
    """Every law text in data/laws/ and the boilerplate list (read once per process)."""
    laws = [path.read_text(encoding="utf-8") for path in sorted(LAWS_DIR.glob("*.md"))]
    return Discount.from_texts([*laws, *boilerplate_phrases()])


NO_DISCOUNT = Discount(hashes=_EMPTY, version=f"{_FORMAT}.{N}.none")


# --- fingerprints -----------------------------------------------------------------------------


def _identity(value: int) -> int:
    return value


@cache
def _permutations() -> np.ndarray:
    return MinHash(num_perm=NUM_PERM, seed=SEED).permutations


def _signature(window: np.ndarray) -> np.ndarray:
    """The MinHash values of one window. The n-grams are already hashed: datasketch gets their
    top 32 bits through an identity hash function (its default scheme takes 32-bit inputs)."""
    m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_identity, permutations=_permutations(), scheme="affine32")
    m.update_batch((window >> np.uint64(32)).tolist())
    return m.hashvalues


def _windows(sequence: np.ndarray) -> list[np.ndarray]:
    """Windows of ``WINDOW`` n-grams overlapping by half, and the whole text: windows find a
    passage copied into another text, the whole text a copy whose sentences were reordered.
    A text up to 1.5 windows long is one window."""
    if len(sequence) <= WINDOW * 3 // 2:
        return [sequence] if len(sequence) else []
    step = WINDOW // 2
    starts = list(range(0, len(sequence) - WINDOW + 1, step))
    if starts[-1] + WINDOW < len(sequence):
        starts.append(len(sequence) - WINDOW)  # the tail gets a full window too
    return [sequence, *(sequence[s : s + WINDOW] for s in starts)]


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """What copy detection keeps of a text: its n-grams in text order (discount applied) and one
    MinHash signature per window. Store it with ``to_bytes`` (about 8 bytes per character)."""

    sequence: np.ndarray  # uint64 n-gram hashes in text order
    signatures: np.ndarray  # (windows, NUM_PERM) uint32
    version: str  # the Discount's version it was made with

    @classmethod
    def of(cls, text: str, *, discount: Discount | None = None) -> Fingerprint:
        discount = discount or default_discount()
        sequence = _hashes_of(text)
        sequence = sequence[_counted(sequence, discount.hashes)]
        windows = _windows(sequence)
        signatures = np.array([_signature(w) for w in windows], dtype=np.uint32).reshape(len(windows), NUM_PERM)
        return cls(sequence=sequence, signatures=signatures, version=discount.version)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, sequence=self.sequence, signatures=self.signatures, version=np.array(self.version))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            return cls(sequence=stored["sequence"], signatures=stored["signatures"], version=str(stored["version"]))

    def __len__(self) -> int:
        return len(self.sequence)

    @cached_property
    def hashes(self) -> np.ndarray:
        """The n-gram set: sorted, unique."""
        return np.unique(self.sequence)


# --- comparing --------------------------------------------------------------------------------


def _lsh() -> MinHashLSH:
    # Bands of 3 rows: two windows with Jaccard 0.2 (a copy that shares a third of a window) become
    # candidates with probability 1 - (1 - 0.2**3)**42 = 0.29 per window pair, and a copied passage
    # spans several window pairs; unrelated windows (Jaccard ~0.02) with 1 - (1 - 0.02**3)**42 ~ 3e-4.
    return MinHashLSH(num_perm=NUM_PERM, params=(LSH_BANDS, LSH_ROWS))


def _lean(signature: np.ndarray) -> LeanMinHash:
    return LeanMinHash(seed=SEED, hashvalues=signature, scheme="affine32")


def _run_mask(present: np.ndarray, min_length: int) -> np.ndarray:
    """The positions that lie in runs of at least ``min_length`` consecutive ``True``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], present.astype(np.int8), [0]])))
    delta = np.zeros(len(present) + 1, dtype=np.int32)
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if end - start >= min_length:
            delta[start] += 1
            delta[end] -= 1
    return np.cumsum(delta[:-1]) > 0


def _in_runs(present: np.ndarray) -> int:
    """How many positions lie in runs of at least ``MIN_RUN`` consecutive ``True``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], present.astype(np.int8), [0]])))
    lengths = edges[1::2] - edges[::2]
    return int(lengths[lengths >= MIN_RUN].sum())


@dataclass(frozen=True, eq=False)
class _Text:
    """A fingerprint's n-grams with the batch's common ones taken out: the sequence and its set."""

    sequence: np.ndarray
    hashes: np.ndarray

    @classmethod
    def of(cls, fingerprint: Fingerprint, common: np.ndarray) -> _Text:
        if not len(common):
            return cls(sequence=fingerprint.sequence, hashes=fingerprint.hashes)
        is_common = _isin_sorted(fingerprint.sequence, common)
        # A long stretch of common n-grams is a passage many texts copied (one 范文 behind several
        # entries), not a phrase: it stays.
        keep = ~is_common | _run_mask(is_common, LONG_COMMON_RUN)
        sequence = fingerprint.sequence[keep]
        return cls(sequence=sequence, hashes=np.unique(sequence))


def containment(a: _Text, b: _Text) -> tuple[float, int]:
    """(score, n-grams in shared runs): the larger of "how much of A is in B" and "how much of B
    is in A", each the n-grams in shared runs over the text's n-grams (at least ``MIN_NGRAMS``);
    (0.0, 0) as soon as it is clear that fewer than ``MIN_SHARED`` n-grams are shared."""
    in_a_mask = _isin_sorted(a.sequence, b.hashes)
    if np.count_nonzero(in_a_mask) < MIN_SHARED:  # then B has fewer than MIN_SHARED of A's either
        return 0.0, 0
    in_a = _in_runs(in_a_mask)
    in_b = _in_runs(_isin_sorted(b.sequence, a.hashes))
    score = max(in_a / max(len(a.sequence), MIN_NGRAMS), in_b / max(len(b.sequence), MIN_NGRAMS))
    return score, max(in_a, in_b)


class Corpus:
    """Fingerprints by key with an LSH index of their windows: add texts (or stored fingerprints)
    once, then compare within the corpus or against another corpus."""

    def __init__(self, *, discount: Discount | None = None) -> None:
        self.discount = discount or default_discount()
        self.prints: dict[str, Fingerprint] = {}
        self._lsh = _lsh()

    def __len__(self) -> int:
        return len(self.prints)

    def __contains__(self, key: str) -> bool:
        return key in self.prints

    def add(self, key: str, text: str) -> Fingerprint:
        fingerprint = Fingerprint.of(text, discount=self.discount)
        self.add_fingerprint(key, fingerprint)
        return fingerprint

    def add_fingerprint(self, key: str, fingerprint: Fingerprint) -> None:
        if fingerprint.version != self.discount.version:
            raise ValueError(f"fingerprint of {key!r} was made with another discount: recompute it")
        if key in self.prints:
            raise ValueError(f"{key!r} is already in the corpus")
        self.prints[key] = fingerprint
        for number, signature in enumerate(fingerprint.signatures):
            self._lsh.insert((key, number), _lean(signature), check_duplication=False)

    def candidates(self, fingerprint: Fingerprint) -> set[str]:
        """Keys whose windows collide with one of ``fingerprint``'s in some LSH band."""
        found: set[str] = set()
        for signature in fingerprint.signatures:
            found.update(key for key, _ in self._lsh.query(_lean(signature)))
        return found

    def overlaps(self, *, threshold: float, against: Corpus | None = None) -> list[tuple[str, str, float]]:
        """Pairs scoring at least ``threshold``, best first: within this corpus (keys in sorted
        order inside a pair) and, given ``against``, each of this corpus's keys with each of its
        keys (this corpus's key first). Pairs within ``against`` are not compared."""
        common = _common_hashes([self, against] if against is not None else [self])
        trimmed = {key: _Text.of(fp, common) for key, fp in self.prints.items()}
        other = {}
        if against is not None:
            other = {key: _Text.of(fp, common) for key, fp in against.prints.items()}
        results: dict[tuple[str, str], float] = {}
        for key in sorted(self.prints):
            fingerprint = self.prints[key]
            for candidate in sorted(self.candidates(fingerprint)):
                if candidate <= key:  # each pair once, from its first key (LSH collisions are mutual)
                    continue
                pair = (key, candidate)
                score, shared = containment(trimmed[key], trimmed[candidate])
                if score >= threshold and shared >= MIN_SHARED:
                    results[pair] = score
            if against is not None:
                for candidate in sorted(against.candidates(fingerprint)):
                    score, shared = containment(trimmed[key], other[candidate])
                    if score >= threshold and shared >= MIN_SHARED:
                        results[(key, candidate)] = score
        return sorted(((a, b, round(s, 4)) for (a, b), s in results.items()), key=lambda r: (-r[2], r[0], r[1]))


def _common_hashes(corpora: list[Corpus]) -> np.ndarray:
    """N-grams found in at least max(COMMON_MIN_TEXTS, COMMON_SHARE of the texts) of the texts:
    the phrases of the year's theme that everybody writes, learnt from the batch itself."""
    prints = [fp.hashes for corpus in corpora for fp in corpus.prints.values()]
    cutoff = max(COMMON_MIN_TEXTS, int(COMMON_SHARE * len(prints)))
    if len(prints) < cutoff:
        return _EMPTY
    values, counts = np.unique(np.concatenate(prints), return_counts=True)
    return values[counts >= cutoff]


def find_overlaps(texts: Mapping[str, str], *, threshold: float) -> list[tuple[str, str, float]]:
    """Pairs of keys of ``texts`` whose containment score is at least ``threshold``, best first.

    The score is the share of a text's n-grams (quoted law, boilerplate and phrases common to the
    batch left out) that lie in passages the other text has too, in the direction where it is
    larger: 1.0 for a whole copy, about 0.5 for a text half copied. No database."""
    corpus = Corpus()
    for key in sorted(texts):
        corpus.add(key, texts[key])
    return corpus.overlaps(threshold=threshold)


# --- passages for the side-by-side view -------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """A passage of text A found in text B: offsets into the original strings, end exclusive."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


def shared_passages(a: str, b: str, *, discount: Discount | None = None) -> list[Passage]:
    """The passages of ``a`` that ``b`` also has, in ``a``'s order, with where they are in ``b``.

    A passage follows both texts character by character; quoted law and boilerplate break it (they
    are shown by ``discounted_spans`` instead), a few changed characters do not."""
    discount = discount or default_discount()
    codes_a, offsets_a = _normalise(a)
    codes_b, offsets_b = _normalise(b)
    ha, hb = _ngram_hashes(codes_a), _ngram_hashes(codes_b)
    counted = _counted(ha, discount.hashes)
    ha_list, hb_list = ha.tolist(), hb.tolist()
    wanted = set(ha_list)
    where_b: dict[int, list[int]] = {}
    for j, h in enumerate(hb_list):
        if h in wanted:
            where_b.setdefault(h, []).append(j)
    runs: list[tuple[int, int, int]] = []  # (i in a, j in b, n-grams)
    i = 0
    while i < len(ha_list):
        if not counted[i] or ha_list[i] not in where_b:
            i += 1
            continue
        best_j, best = 0, 0
        for j in where_b[ha_list[i]][:16]:  # a phrase repeated many times: the first few suffice
            k = 1
            while i + k < len(ha_list) and j + k < len(hb_list) and counted[i + k] and ha_list[i + k] == hb_list[j + k]:
                k += 1
            if k > best:
                best_j, best = j, k
        runs.append((i, best_j, best))
        i += best
    # In characters (normalised), end exclusive; then merge runs broken by a few changed characters.
    merged: list[list[int]] = []
    for i, j, k in runs:
        a_span, b_span = [i, i + k - 1 + N], [j, j + k - 1 + N]
        if merged:
            last = merged[-1]
            if 0 <= i - last[1] <= PASSAGE_GAP and j - last[3] == i - last[1]:  # same diagonal: edited
                last[1], last[3] = max(last[1], a_span[1]), max(last[3], b_span[1])
                continue
        merged.append([a_span[0], a_span[1], b_span[0], b_span[1]])
    return [
        Passage(
            a_start=int(offsets_a[s]),
            a_end=int(offsets_a[e - 1]) + 1,
            b_start=int(offsets_b[t]),
            b_end=int(offsets_b[u - 1]) + 1,
        )
        for s, e, t, u in merged
        if e - s >= MIN_PASSAGE
    ]


def discounted_spans(text: str, *, discount: Discount | None = None) -> list[tuple[int, int]]:
    """Where ``text`` has quoted law or boilerplate: (start, end) offsets, end exclusive, merged."""
    discount = discount or default_discount()
    codes, offsets = _normalise(text)
    covered = _covered(_ngram_hashes(codes), discount.hashes)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], covered.astype(np.int8), [0]])))
    spans = zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True)
    return [(int(offsets[s]), int(offsets[e - 1]) + 1) for s, e in spans if e - s >= MIN_PASSAGE]


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching (start, end) spans as one, in order."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]
