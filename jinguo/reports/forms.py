"""Forms only parse and validate input; the services make the changes."""

from __future__ import annotations

from django import forms

from jinguo.reports.models import Report, ReportAdoption


def _text(**attrs):
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _area(rows: int, **attrs):
    return forms.Textarea(attrs={"class": "form-control", "rows": rows, **attrs})


class CampaignChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.title}（{obj.issuer.display_name}）"


class ActivityChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.date:%Y-%m-%d} {obj.title}"


class ReportForm(forms.Form):
    kind = forms.ChoiceField(
        label="类别", choices=Report.Kind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    campaign = CampaignChoiceField(
        label="所属活动",
        required=False,
        queryset=None,
        empty_label="（不属于某项活动，报送上级单位）",
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text="选择活动后，信息报送给发布该活动的单位审核。",
    )
    title = forms.CharField(label="标题", max_length=200, widget=_text(), error_messages={"required": "请填写标题"})
    body = forms.CharField(
        label="正文",
        widget=_area(14, placeholder="写清时间、地点、做法、成效，典型经验请提炼可推广的做法"),
        error_messages={"required": "请填写正文"},
    )
    activities = ActivityChoiceField(
        label="相关活动台账",
        required=False,
        queryset=None,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, campaigns, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["activities"].queryset = activities


class ReviseForm(forms.Form):
    title = forms.CharField(label="标题", max_length=200, widget=_text(), error_messages={"required": "请填写标题"})
    body = forms.CharField(label="正文", widget=_area(14), error_messages={"required": "请填写正文"})
    note = forms.CharField(
        label="修改说明", max_length=200, required=False, widget=_text(placeholder="如：精简标题，补充数据")
    )


class AdoptForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label="采用渠道",
        choices=ReportAdoption.Channel.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": "请至少选择一个采用渠道"},
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="未采用原因",
        widget=_area(3, placeholder="请写明原因，便于基层改进"),
        error_messages={"required": "请填写未采用的原因"},
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        label="作废原因",
        max_length=500,
        widget=_area(3, placeholder="如：重复报送，与第 12 号信息相同"),
        error_messages={"required": "请填写作废原因", "max_length": "作废原因不能超过 500 字"},
    )
