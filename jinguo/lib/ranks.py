"""Ranks that ties share: 1, 2, 2, 4 (standard competition ranking).

Every unit ranking of the product (the reports' adoption ranking, and any other table that
numbers units) numbers its rows with ``shared_ranks``, so that equal units never get different
places from the accident of their order.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def shared_ranks(keys: Sequence[Hashable]) -> list[int]:
    """The rank of each row, given the rows' ranking keys in ranking order: a row equal to the one
    before it shares its rank; the next different row's rank is its position (1-based)."""
    ranks: list[int] = []
    for position, key in enumerate(keys, start=1):
        ranks.append(ranks[-1] if ranks and key == keys[position - 2] else position)
    return ranks
