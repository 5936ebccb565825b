"""Forms only parse and validate input; the services make the changes."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from jinguo.activities.models import LAW_FIELDS, Activity, Attendee, Need
from jinguo.activities.selectors import NEED_STATES, likely_duplicates, roster
from jinguo.activities.services import FUTURE_DATE_ERROR
from jinguo.campaigns.models import ActivityLine, Campaign, VenueType
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import Org

PICKER_DEPTH = 2


def _date_input():
    return forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def _text(**attrs):
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _select():
    return forms.Select(attrs={"class": "form-select"})


def _number():
    return forms.NumberInput(attrs={"class": "form-control", "min": 0, "inputmode": "numeric"})


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Org) -> str:
        return "\u3000" * max(0, obj.depth - self.base_depth) + obj.name


def units_of(org: Org):
    """The viewer's unit and active units up to two levels below it (the unit picker)."""
    return Org.objects.filter(org.subtree_q(), is_active=True, depth__lte=org.depth + PICKER_DEPTH).order_by("path")


def _unit_field(org: Org, *, required: bool, label: str) -> UnitChoiceField:
    field = UnitChoiceField(
        queryset=units_of(org), required=required, label=label, empty_label=None if required else "全部单位"
    )
    field.base_depth = org.depth
    field.widget.attrs["class"] = "form-select"
    return field


class ActivityForm(forms.Form):
    org = forms.ModelChoiceField(queryset=Org.objects.none(), label="举办单位")
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, label="所属活动通知", empty_label="（不属于某个通知）"
    )
    line = forms.ModelChoiceField(
        queryset=ActivityLine.objects.none(), required=False, label="活动类别", empty_label="—"
    )
    title = forms.CharField(label="活动名称", max_length=200, widget=_text())
    date = forms.DateField(label="日期", widget=_date_input())
    place = forms.CharField(label="地点", max_length=200, widget=_text())
    venue_type = forms.ChoiceField(label="场所类型", choices=VenueType.choices, widget=_select())
    format = forms.ChoiceField(label="活动形式", choices=Activity.Format.choices, widget=_select())
    speaker_type = forms.ChoiceField(
        label="宣讲人类型", choices=[("", "—"), *Activity.SpeakerType.choices], required=False, widget=_select()
    )
    laws = forms.MultipleChoiceField(
        label="宣讲的法律",
        choices=list(LAW_FIELDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    participants_total = forms.IntegerField(label="参加人数", min_value=0, initial=0, widget=_number())
    participants_women = forms.IntegerField(label="其中妇女", min_value=0, initial=0, widget=_number())
    participants_minors = forms.IntegerField(label="其中未成年人", min_value=0, initial=0, widget=_number())
    online_reach = forms.IntegerField(label="线上覆盖人次", min_value=0, initial=0, required=False, widget=_number())
    account = forms.CharField(
        label="活动简述", required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 4})
    )
    # Shown only when the entry looks like one already recorded (``likely_duplicates``).
    confirm_duplicate = forms.BooleanField(
        label="仍要保存（确认这是另一场活动）",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    DUPLICATE_ERROR = (
        "本单位同一天已有名称或地点相同的台账，可能重复记录了。请先核对；确实是另一场活动，请勾选“仍要保存”后再保存。"
    )

    def __init__(self, *args, viewer_org: Org, entry: Activity | None = None, **kwargs):
        """``entry``: the entry being changed (not its own duplicate)."""
        super().__init__(*args, **kwargs)
        self.entry = entry
        self.duplicates: list[Activity] = []
        self.fields["org"] = _unit_field(viewer_org, required=True, label="举办单位")
        campaigns = Campaign.objects.exclude(status=Campaign.Status.DRAFT).order_by("-published_at")
        self.fields["campaign"].queryset = campaigns
        self.fields["campaign"].widget.attrs["class"] = "form-select"
        self.fields["line"].queryset = ActivityLine.objects.filter(campaign__in=campaigns).select_related("campaign")
        self.fields["line"].label_from_instance = lambda line: f"{line.campaign.title} · {line.title}"
        self.fields["line"].widget.attrs["class"] = "form-select"

    def fix_to_plan(self, event) -> None:
        """Record a planned event: the unit and campaign are the plan's, the line one of its lines,
        and the expected headcount a hint beside the actual one (left for the user to type)."""
        target = event.plan.target
        self.fields["org"].queryset = Org.objects.filter(pk=target.org_id)
        self.fields["campaign"].queryset = Campaign.objects.filter(pk=target.campaign_id)
        for name in ("org", "campaign"):
            self.fields[name].disabled = True
        self.fields["line"].queryset = ActivityLine.objects.filter(campaign_id=target.campaign_id).select_related(
            "campaign"
        )
        self.fields["participants_total"].initial = None
        self.fields["participants_total"].help_text = f"方案中预计 {event.expected_participants} 人，请填写实际人数"

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(FUTURE_DATE_ERROR.format(date=date))
        return date

    def clean(self):
        data = super().clean()
        total = data.get("participants_total") or 0
        if (data.get("participants_women") or 0) > total:
            self.add_error("participants_women", "妇女人数不能多于参加总人数")
        if (data.get("participants_minors") or 0) > total:
            self.add_error("participants_minors", "未成年人数不能多于参加总人数")
        line, campaign = data.get("line"), data.get("campaign")
        if line is not None and campaign is not None and line.campaign_id != campaign.pk:
            self.add_error("line", "所选活动类别不属于所选活动通知")
        self._check_duplicates(data)
        return data

    def _check_duplicates(self, data: dict) -> None:
        org = data.get("org") or (self.entry.org if self.entry else None)
        if self.errors or not all(data.get(f) for f in ("date", "title", "place")) or org is None:
            return
        self.duplicates = likely_duplicates(
            org=org, date=data["date"], title=data["title"], place=data["place"], exclude=self.entry
        )
        if self.duplicates and not data.get("confirm_duplicate"):
            self.add_error(None, self.DUPLICATE_ERROR)

    def service_fields(self) -> dict:
        d = dict(self.cleaned_data)
        d.pop("org")
        d.pop("confirm_duplicate")
        d["online_reach"] = d.get("online_reach") or 0
        return d

    @staticmethod
    def initial_for(activity: Activity) -> dict:
        initial = {
            f: getattr(activity, f)
            for f in (
                "title",
                "date",
                "place",
                "venue_type",
                "format",
                "speaker_type",
                "participants_total",
                "participants_women",
                "participants_minors",
                "online_reach",
                "account",
            )
        }
        initial.update(org=activity.org_id, campaign=activity.campaign_id, line=activity.line_id)
        initial["laws"] = [f for f in LAW_FIELDS if getattr(activity, f)]
        return initial


class AttendeeForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, widget=_text())
    category = forms.ChoiceField(label="类别", choices=Attendee.Category.choices, widget=_select())
    affiliation = forms.CharField(label="单位或身份", max_length=100, required=False, widget=_text())


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label="座谈纪要", required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 6})
    )


class PhotoForm(forms.Form):
    photos = forms.FileField(
        label="活动照片",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": "image/jpeg,image/png,image/webp"}),
        help_text="JPG、PNG 或 WebP，每张不超过 10 MB；照片中的拍摄位置等信息会被自动去除。",
    )


class NeedForm(forms.Form):
    category = forms.ChoiceField(label="类别", choices=Need.Category.choices, widget=_select())
    description = forms.CharField(label="诉求内容", widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}))
    org = forms.ModelChoiceField(queryset=Org.objects.none(), label="责任单位")
    raised_by_attendee = forms.ModelChoiceField(
        queryset=Attendee.objects.none(), required=False, label="提出人", empty_label="（不在参会名单上）"
    )
    raised_by_name = forms.CharField(label="提出人", max_length=50, required=False, widget=_text())
    raised_by_phone = forms.CharField(
        label="联系电话",
        max_length=20,
        required=False,
        widget=_text(inputmode="tel"),
        help_text="仅责任单位可见完整号码。",
    )
    due_date = forms.DateField(label="办理时限", required=False, widget=_date_input())

    def __init__(self, *args, viewer_org: Org, activity: Activity, **kwargs):
        super().__init__(*args, **kwargs)
        with scopes_disabled():  # a need may be handed to a unit above the symposium's, outside the viewer's subtree
            above = Org.objects.filter(path__in=activity.org.ancestor_paths())
        units = Org.objects.filter(
            pk__in=list(units_of(viewer_org).values_list("pk", flat=True)) + list(above.values_list("pk", flat=True))
        ).order_by("path")
        self.fields["org"] = UnitChoiceField(queryset=units, label="责任单位", empty_label=None)
        self.fields["org"].base_depth = min((o.depth for o in units), default=0)
        self.fields["org"].widget.attrs["class"] = "form-select"
        self.fields["org"].initial = activity.org_id
        # Report once: the raiser is picked from the symposium's roster when it has one.
        attendees = roster(activity)
        if attendees.exists():
            field = self.fields["raised_by_attendee"]
            field.queryset = attendees
            field.label_from_instance = lambda a: f"{a.name}（{a.affiliation or a.get_category_display()}）"
            field.widget.attrs["class"] = "form-select"
            field.help_text = "从本次座谈会的参会名单中选择。"
            self.fields["raised_by_name"].label = "或填写姓名"
            self.fields["raised_by_name"].help_text = "提出人不在参会名单上时填写。"
        else:
            del self.fields["raised_by_attendee"]

    def clean(self):
        data = super().clean()
        attendee, name = data.get("raised_by_attendee"), (data.get("raised_by_name") or "").strip()
        if attendee is not None and name and name != attendee.name:
            self.add_error("raised_by_name", "已从参会名单中选择了提出人，这里不用再填写；不在名单上的人请不要选择名单")
        return data


class NoteForm(forms.Form):
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(
        label="台账文件",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
        help_text="Excel（.xlsx）或 CSV 文件。",
    )


STATE_CHOICES = NEED_STATES
