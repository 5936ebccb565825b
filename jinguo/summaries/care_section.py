"""The care section of a campaign summary: households visited and help given during the campaign.

It lives on summaries' side, not in the care app: summaries → dashboard → care already, so a care
module importing summaries' registry would close a cycle (tests/test_architecture.py). The figures
are the campaign board's care line itself (``ctx.board`` is dashboard.selectors.board, whose care
counters come from ``board_care_help``) shown through the board's own masking (``care_cells``).

A summary is a document that leaves the care role's hands: it is filed with the unit above, read
by its reviewers and printed. So it is always written as a reader WITHOUT the care role reads the
board: fewer than 5 households become "<5", and the help count and amount with them. No person's
name or detail is ever read here: only the board's counters.
"""

from __future__ import annotations

from decimal import Decimal

from jinguo.care.stats import care_cells
from jinguo.summaries.sections import DraftContext, DraftParagraph, DraftSection, register_section


def yuan(amount) -> str:
    """1250 and 1250.00 (SQLite and PostgreSQL return either) both read 1250; 1250.5 reads 1250.50."""
    if not isinstance(amount, Decimal):
        return str(amount)  # "<5"
    return f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"


def care_figures(ctx: DraftContext) -> dict:
    """The board's care line for the unit's subtree, as a reader without the care role sees it."""
    cells = care_cells(ctx.board.total, exact=False)
    return cells | {"amount": yuan(cells["amount"])}


@register_section("care", order=57)
def care_section(ctx: DraftContext) -> DraftSection | None:
    t = ctx.board.total
    if not t.care_households and not t.care_help:
        return None
    f = care_figures(ctx)
    text = (
        f"开展关心关爱走访，活动期间走访帮扶困难群众{f['households']}户，帮扶{f['help']}次，帮扶金额{f['amount']}元。"
    )
    figures = {"care_households": f["households"], "care_help": f["help"], "care_amount": f["amount"]}
    return DraftSection(heading="关心关爱情况", paragraphs=[DraftParagraph(text, figures)])
