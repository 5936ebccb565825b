"""The registry of a summary's sections: who drafts what, in which order.

A provider is a function of a ``DraftContext`` that returns a ``DraftSection`` (or ``None`` when
it has nothing to say for that unit and campaign). The built-in ones (jinguo/summaries/drafting.py)
cover the ledger, symposiums, the quiz, information reports and good practices. An app built later
(contests, care) adds its section from its own ``AppConfig.ready()`` without this app importing it:

    from jinguo.summaries.sections import DraftParagraph, DraftSection, register_section

    @register_section("contests", order=55)
    def contests_section(ctx):
        figures = {"entries": ..., "awards": ...}  # from the contests app's own selectors
        return DraftSection(heading="征文、演讲比赛情况", paragraphs=[DraftParagraph(text, figures)])

Every number a provider writes must be in its paragraph's ``figures`` (the editor marks the
paragraph as data, and tests compare each figure with the page the number comes from).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DraftParagraph:
    text: str
    figures: dict[str, Any] = field(default_factory=dict)  # empty: not from the data


@dataclass
class DraftSection:
    heading: str
    paragraphs: list[DraftParagraph]
    key: str = ""  # filled from the registration


@dataclass
class DraftContext:
    """What every provider is given. ``board`` is the dashboard's board for the unit and campaign
    (dashboard.selectors.board), read once and shared, so that sections agree with the board."""

    campaign: Any  # campaigns.Campaign
    unit: Any  # orgs.Org
    family: list[int]
    board: Any  # dashboard.selectors.Board
    now: dt.datetime
    extra: dict[str, Any] = field(default_factory=dict)  # a provider's own cache


Provider = Callable[[DraftContext], DraftSection | None]


@dataclass(frozen=True)
class Registration:
    key: str
    order: int
    provider: Provider


_PROVIDERS: dict[str, Registration] = {}


def register_section(key: str, *, order: int) -> Callable[[Provider], Provider]:
    """Register ``provider`` under ``key`` (registering a key again replaces it: reloads are harmless)."""

    def decorate(provider: Provider) -> Provider:
        _PROVIDERS[key] = Registration(key=key, order=order, provider=provider)
        return provider

    return decorate


def registered_sections() -> list[Registration]:
    return sorted(_PROVIDERS.values(), key=lambda r: (r.order, r.key))


def draft_sections(ctx: DraftContext) -> list[DraftSection]:
    """Every registered provider's section, in order; those with nothing to say are left out."""
    sections = []
    for registration in registered_sections():
        section = registration.provider(ctx)
        if section is not None:
            section.key = registration.key
            sections.append(section)
    return sections
