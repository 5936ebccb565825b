"""Template helpers for pages of other apps that link to the ledger."""

from django import template

from jinguo.accounts.rules import has_perm
from jinguo.activities.rules import ACTIVITY_WRITE
from jinguo.activities.selectors import recorded_entries

register = template.Library()


@register.simple_tag(takes_context=True)
def ledger_entries(context, events, plan) -> dict:
    """For a plan's events: {"entries": {event pk: Activity}, "can_record": bool} (one query).

    Recording is offered for a filed plan (报送 or 备案) to users who may write its unit's ledger.
    """
    events = list(events)
    user = context["request"].user
    return {
        "entries": recorded_entries(events),
        "can_record": plan.is_filed and has_perm(user, ACTIVITY_WRITE, at=plan.target.org),
    }


@register.filter
def entry_for(entries: dict, event):
    return entries.get(event.pk)


@register.inclusion_tag("activities/_planned_event_cell.html")
def ledger_cell(ledger: dict, event) -> dict:
    """A planned event's ledger cell on the plan page: its entry (已作废 when voided), or 记入台账,
    a link to the ledger form pre-filled from the event (nothing is saved before 保存)."""
    return {"event": event, "entry": ledger["entries"].get(event.pk), "can_record": ledger["can_record"]}
