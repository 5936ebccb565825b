"""Forms of the judging pages: they parse and validate; ``judging.py`` makes the changes."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms

from jinguo.accounts.models import User
from jinguo.contests.models import Award, Round
from jinguo.orgs.models import Org

CRITERION_LINE = re.compile(r"^\s*(?P<name>[^\d\s][^\d]*?)\s*[:：\s]\s*(?P<points>\d{1,3})\s*$")


def _select():
    return forms.Select(attrs={"class": "form-select"})


class RoundForm(forms.Form):
    name = forms.CharField(
        label="轮次名称",
        max_length=50,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "初评 / 复评 / 终评"}),
        error_messages={"required": "请填写轮次名称"},
    )
    criteria = forms.CharField(
        label="评分标准",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
        help_text="每行一项：名称 满分，例如“内容 50”。各项满分即权重，合计不是 100 时总分按百分制折算。",
        error_messages={"required": "请填写评分标准"},
    )
    judges_per_entry = forms.IntegerField(
        label="每件作品评委人数",
        min_value=1,
        max_value=15,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    aggregation = forms.ChoiceField(label="计分方式", choices=Round.Aggregation.choices, widget=_select())
    names_visible = forms.BooleanField(
        label="评委可见作者姓名和单位（初评、复评一般不公开）",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    peer_scores = forms.ChoiceField(label="评委之间的评分", choices=Round.PeerScores.choices, widget=_select())
    advance_rule = forms.ChoiceField(label="晋级规则", choices=Round.AdvanceRule.choices, widget=_select())
    advance_value = forms.DecimalField(
        label="晋级数量或分数线",
        required=False,
        min_value=Decimal(0),
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
        help_text="前 N 名填名次数，分数线填最低分；并列在线上的作品一并晋级，由主办单位确认。",
    )
    deadline = forms.DateTimeField(
        label="评审截止",
        required=False,
        widget=forms.DateTimeInput(attrs={"class": "form-control", "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="外聘评委的专用链接在此时失效。",
    )

    def clean_criteria(self) -> list[tuple[str, int]]:
        parsed = []
        for number, line in enumerate(self.cleaned_data["criteria"].splitlines(), start=1):
            if not line.strip():
                continue
            match = CRITERION_LINE.match(line)
            if not match or not 0 < int(match["points"]) <= 100:
                raise forms.ValidationError(
                    f"第 {number} 行“{line.strip()}”看不懂：请写成“名称 满分”，满分为 1 到 100 的整数。"
                )
            parsed.append((match["name"].strip(), int(match["points"])))
        if not parsed:
            raise forms.ValidationError("请至少填写一个评分项。")
        return parsed

    @staticmethod
    def criteria_text(round_: Round) -> str:
        return "\n".join(f"{c.name} {c.max_points}" for c in round_.criteria.all())


class JudgeForm(forms.Form):
    KIND_STAFF, KIND_EXTERNAL = "staff", "external"
    kind = forms.ChoiceField(
        label="评委类型",
        choices=[(KIND_STAFF, "本系统工作人员（登录评审）"), (KIND_EXTERNAL, "外聘专家（专用链接，无需账号）")],
        widget=forms.RadioSelect,
    )
    username = forms.CharField(
        label="登录名",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
        help_text="工作人员评委填写其登录名（本单位及下级单位的用户）。",
    )
    name = forms.CharField(
        label="姓名", required=False, max_length=50, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    affiliation = forms.CharField(
        label="所在单位",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "如：市作家协会"}),
    )
    is_chief = forms.BooleanField(
        label="评委组长（可查看异常评分、解锁已提交的评分）",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    rounds = forms.ModelMultipleChoiceField(
        label="参加的轮次",
        queryset=Round.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    conflicts = forms.ModelMultipleChoiceField(
        label="申报回避的单位",
        queryset=Org.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text="不分配这些单位（含其下级）的作品。工作人员评委本单位的作品已自动回避。",
    )

    def __init__(self, *args, contest, **kwargs):
        super().__init__(*args, **kwargs)
        self.contest = contest
        self.fields["rounds"].queryset = contest.rounds.order_by("number")
        self.fields["conflicts"].queryset = Org.objects.filter(parent=contest.owner, is_active=True).order_by("path")

    def clean(self):
        data = super().clean()
        if data.get("kind") == self.KIND_STAFF:
            username = (data.get("username") or "").strip()
            if not username:
                self.add_error("username", "请填写工作人员的登录名。")
            else:
                # Scoped: only users of the organiser's subtree can be found.
                user = User.objects.filter(username=username, is_active=True).select_related("org").first()
                if user is None:
                    self.add_error("username", f"找不到登录名为“{username}”的用户（须为本单位或下级单位的用户）。")
                data["user"] = user
        else:
            data["user"] = None
            if not (data.get("name") or "").strip():
                self.add_error("name", "请填写外聘评委的姓名。")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="原因",
        max_length=500,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        error_messages={"required": "请填写原因"},
    )


AWARD_CHOICES = [("", "不获奖"), *Award.Level.choices]
