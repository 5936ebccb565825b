"""Forms only parse and validate input; the services make the changes."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count

from jinguo.campaigns.models import ActivityLine, VenueType
from jinguo.orgs.models import Org

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# How deep below the issuer the unit picker lists units (counties and their townships for a city).
PICKER_DEPTH = 2


def _date_input():
    return forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def _datetime_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format=DATETIME_FORMAT)


def _text(**attrs):
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def units_below(issuer: Org):
    """Active units strictly below the issuer that the picker offers."""
    return (
        Org.objects.filter(issuer.subtree_q(), is_active=True, depth__lte=issuer.depth + PICKER_DEPTH)
        .exclude(pk=issuer.pk)
        .order_by("path")
    )


def kind_choices(issuer: Org) -> list[tuple[str, str]]:
    """The kinds present below the issuer, with how many active units each has."""
    counts = dict(
        Org.objects.filter(issuer.subtree_q(), is_active=True)
        .exclude(pk=issuer.pk)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return [(value, f"全部{label}（{counts[value]} 个）") for value, label in Org.Kind.choices if counts.get(value)]


class UnitChoiceField(forms.ModelMultipleChoiceField):
    """Units indented by their depth below the issuer, so the picker reads like the tree."""

    def __init__(self, *args, issuer: Org, **kwargs):
        self.issuer_depth = issuer.depth
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Org) -> str:
        return "　" * (obj.depth - self.issuer_depth - 1) + obj.name


def _checkboxes():
    return forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


class TargetFieldsMixin:
    def _add_target_fields(self, issuer: Org) -> None:
        self.fields["target_kinds"] = forms.MultipleChoiceField(
            label="按类型选择", required=False, choices=kind_choices(issuer), widget=_checkboxes()
        )
        self.fields["target_units"] = UnitChoiceField(
            label="逐个选择单位", required=False, queryset=units_below(issuer), issuer=issuer, widget=_checkboxes()
        )


class CampaignForm(TargetFieldsMixin, forms.Form):
    title = forms.CharField(label="标题", max_length=200, widget=_text())
    theme = forms.CharField(label="主题", max_length=100, required=False, widget=_text())
    doc_number = forms.CharField(
        label="文号", max_length=50, required=False, widget=_text(placeholder="如 毕妇发〔2023〕2号")
    )
    starts_on = forms.DateField(label="开始日期", widget=_date_input())
    ends_on = forms.DateField(label="结束日期", widget=_date_input())
    plan_deadline = forms.DateTimeField(label="方案报备截止", input_formats=[DATETIME_FORMAT], widget=_datetime_input())
    summary_deadline = forms.DateTimeField(
        label="总结报送截止", required=False, input_formats=[DATETIME_FORMAT], widget=_datetime_input()
    )
    body = forms.CharField(
        label="通知正文", required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 12})
    )

    def __init__(self, *args, issuer: Org, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_target_fields(issuer)

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "结束日期不能早于开始日期")
        plan, summary = data.get("plan_deadline"), data.get("summary_deadline")
        if plan and summary and summary < plan:
            self.add_error("summary_deadline", "总结报送截止时间不能早于方案报备截止时间")
        return data


class ReissueForm(TargetFieldsMixin, forms.Form):
    title = forms.CharField(label="标题", max_length=200, widget=_text())
    plan_deadline = forms.DateTimeField(label="方案报备截止", input_formats=[DATETIME_FORMAT], widget=_datetime_input())
    summary_deadline = forms.DateTimeField(
        label="总结报送截止", required=False, input_formats=[DATETIME_FORMAT], widget=_datetime_input()
    )

    def __init__(self, *args, issuer: Org, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_target_fields(issuer)


class PlanForm(forms.Form):
    """The plan's own fields. Only parsing here: ``services.plan_problems`` says what is wrong."""

    lines = forms.ModelMultipleChoiceField(
        label="承担的活动",
        required=False,
        queryset=ActivityLine.objects.none(),
        widget=_checkboxes(),
    )
    person_in_charge = forms.CharField(label="负责人", max_length=50, required=False, widget=_text())
    contact_phone = forms.CharField(
        label="联系电话",
        max_length=20,
        required=False,
        widget=_text(placeholder="手机号或 0857-8221234", inputmode="tel"),
    )
    summary = forms.CharField(
        label="方案说明", required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 5})
    )
    change_note = forms.CharField(
        label="修改说明",
        required=False,
        help_text="回应退回原因：改了哪些地方（审核人报送后可见）",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )

    def __init__(self, *args, lines, returned: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].queryset = lines
        if not returned:  # an answer to a return reason, so only offered on a returned plan
            del self.fields["change_note"]


class EventForm(forms.Form):
    """One planned event row; ``pk`` carries the event's identity from one plan version to the next."""

    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label="活动名称", max_length=200, required=False, widget=_text())
    date = forms.DateField(label="日期", required=False, widget=_date_input())
    place = forms.CharField(label="地点", max_length=200, required=False, widget=_text())
    venue_type = forms.ChoiceField(
        # The empty choice keeps an untouched extra row "unchanged", so the formset skips it.
        label="场所类型",
        required=False,
        choices=[("", "请选择"), *VenueType.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    expected_participants = forms.IntegerField(
        label="预计参加人数",
        required=False,
        initial=0,
        widget=forms.NumberInput(attrs={"class": "form-control", "min": 0, "inputmode": "numeric"}),
    )
    line = forms.ModelChoiceField(
        label="所属活动",
        required=False,
        queryset=ActivityLine.objects.none(),
        empty_label="（不限）",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    outside_reason = forms.CharField(
        label="不在活动期间的原因",
        max_length=200,
        required=False,
        widget=_text(placeholder="日期不在活动期间内时必填"),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines


EventFormSet = forms.formset_factory(EventForm, extra=1, can_delete=True)


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label="退回原因",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3, "placeholder": "请写明需要修改的地方"}),
        error_messages={"required": "请填写退回原因"},
    )


def validation_message(exc: ValidationError) -> str:
    return "；".join(exc.messages)
