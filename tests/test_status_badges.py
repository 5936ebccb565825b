"""One status badge: every status of every model shows the model's own label, in one colour table."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.template import Context, Template

from jinguo.campaigns.models import PlanState
from jinguo.lib.badges import BADGE_CLASSES

# Choices fields shown as status badges: each model's ``status``, and a plan version's outcome.
BADGE_FIELDS = [
    *(
        (model, field)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.name == "status" and getattr(field, "choices", None)
    ),
    (apps.get_model("campaigns", "PlanVersion"), apps.get_model("campaigns", "PlanVersion")._meta.get_field("outcome")),
]
CASES = [
    pytest.param(model, field.name, value, str(label), id=f"{model._meta.label}.{field.name}={value}")
    for model, field in BADGE_FIELDS
    for value, label in field.choices
]


def render(template: str, **context) -> str:
    return Template("{% load badges %}" + template).render(Context(context))


def test_status_badge_fields_are_the_ones_we_show():
    # The walk above must not come back empty or silently skip a model.
    assert sorted(f"{m._meta.label}.{f.name}" for m, f in BADGE_FIELDS) == [
        "activities.Need.status",
        "campaigns.Campaign.status",
        "campaigns.Plan.status",
        "campaigns.PlanVersion.outcome",
        "care.DuplicateReport.status",
        "care.Person.status",
        "contests.Contest.status",
        "contests.Entry.status",
        "contests.Recommendation.status",
        "contests.Round.status",
        "contests.Score.status",
        "quiz.Attempt.status",
        "reports.Report.status",
        "summaries.Summary.status",
    ]


@pytest.mark.parametrize(("model", "field", "value", "label"), CASES)
def test_status_badge_renders_the_model_label(model, field, value, label):
    obj = model(**{field: value})
    assert value in BADGE_CLASSES
    html = (
        render("{% status_badge obj %}", obj=obj)
        if field == "status"
        else render("{% status_badge obj field %}", obj=obj, field=field)
    )
    assert html == f'<span class="badge {BADGE_CLASSES[value]}">{label}</span>'


@pytest.mark.parametrize("state", list(PlanState), ids=[s.value for s in PlanState])
def test_status_badge_renders_each_plan_state_label(state):
    assert state.value in BADGE_CLASSES
    html = render("{% status_badge state %}", state=state)
    assert html == f'<span class="badge {BADGE_CLASSES[state.value]}">{state.label}</span>'


def test_status_badge_plan_state_none_is_not_a_plan_status():
    # The only state of a target that is not a Plan.Status: the target has no plan.
    assert (
        render("{% status_badge state %}", state=PlanState.NONE)
        == '<span class="badge text-bg-light border">未建方案</span>'
    )


# A template compares a model's status with the TextChoices (``plan.status == plan.Status.RETURNED``)
# or asks a property (``campaign.is_published``), never with a re-typed string.
RAW_STATUS_COMPARISON = re.compile(
    r"""(\w+)\.(?:status|outcome)\s*[!=]=\s*["']|["']\s*[!=]=\s*\w+\.(?:status|outcome)\b"""
)
# ``filters.status`` is a query parameter of the quiz bank's list ("inactive", "all"), not a model status.
QUERY_PARAMETERS = {"filters"}


def test_templates_compare_no_status_with_a_raw_string():
    root = Path(__file__).resolve().parent.parent / "jinguo"
    found = [
        f"{path.relative_to(root)}: {m.group(0)}"
        for path in sorted(root.rglob("*.html"))
        for m in RAW_STATUS_COMPARISON.finditer(path.read_text(encoding="utf-8"))
        if m.group(1) not in QUERY_PARAMETERS
    ]
    assert found == []
