"""Forms only parse and validate input; the services make the changes."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from jinguo.activities.forms import units_of
from jinguo.campaigns.models import ActivityLine, Campaign
from jinguo.care.models import Category, FollowUp, HelpAttachment, HelpRecord, Person
from jinguo.care.services import ConsentInput, GuardianInput
from jinguo.orgs.models import Org


def _date():
    return forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def _text(**attrs):
    return forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", **attrs})


def _area(rows=3):
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


def _select():
    return forms.Select(attrs={"class": "form-select"})


def _number(**attrs):
    return forms.NumberInput(attrs={"class": "form-control", "min": 0, "inputmode": "decimal", **attrs})


def _check():
    return forms.CheckboxInput(attrs={"class": "form-check-input"})


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Org) -> str:
        return "\u3000" * max(0, obj.depth - self.base_depth) + obj.name


class PersonForm(forms.Form):
    """Structured fields first, free text last. On registration also the consent and, for a child
    under 14, the guardian; ``autocomplete=off`` keeps numbers out of the browser's form history."""

    org = forms.ModelChoiceField(queryset=Org.objects.none(), label="责任单位")
    name = forms.CharField(label="姓名", max_length=50, widget=_text())
    id_number = forms.CharField(
        label="身份证号",
        max_length=20,
        required=False,
        widget=_text(inputmode="text", spellcheck="false"),
        help_text="填写后自动读取出生日期和性别；没有身份证号时请填写出生日期和性别。",
    )
    birth_date = forms.DateField(label="出生日期", required=False, widget=_date())
    sex = forms.ChoiceField(label="性别", choices=[("", "—"), *Person.Sex.choices], required=False, widget=_select())
    phone = forms.CharField(label="联系电话", max_length=20, required=False, widget=_text(inputmode="tel"))
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.none(),
        label="关爱类别",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    household_size = forms.IntegerField(label="家庭人口", min_value=1, max_value=50, required=False, widget=_number())
    monthly_income = forms.DecimalField(
        label="家庭月收入（元）", min_value=0, max_digits=9, decimal_places=2, required=False, widget=_number()
    )
    followup_days = forms.IntegerField(
        label="回访周期（天）",
        min_value=1,
        max_value=366,
        required=False,
        widget=_number(),
        help_text="如留守未成年人每月回访填 30；不定期回访可不填。",
    )
    basis = forms.ChoiceField(label="处理依据", choices=Person.Basis.choices, widget=_select())
    address = forms.CharField(label="住址", max_length=200, required=False, widget=_text())
    health = forms.CharField(label="健康状况（疾病、两癌等）", required=False, widget=_area(2))
    disability = forms.CharField(label="残疾情况", required=False, widget=_area(2))
    minor_situation = forms.CharField(label="未成年人情况（就学、父母去向、监护等）", required=False, widget=_area(2))
    needs = forms.CharField(label="困难与需求", required=False, widget=_area(3))
    notes = forms.CharField(label="其他说明", required=False, widget=_area(2))

    CONSENT_FIELDS = (
        "consent_given_by",
        "consent_relation",
        "consent_given_on",
        "consent_valid_until",
        "consent_photo",
    )
    GUARDIAN_FIELDS = ("guardian_name", "guardian_relation", "guardian_phone", "guardian_id_number")

    consent_given_by = forms.CharField(label="同意人", max_length=50, required=False, widget=_text())
    consent_relation = forms.CharField(
        label="同意人与本人关系", max_length=20, required=False, initial="本人", widget=_text()
    )
    consent_given_on = forms.DateField(label="同意日期", required=False, widget=_date())
    consent_valid_until = forms.DateField(label="同意有效期至", required=False, widget=_date())
    consent_photo = forms.BooleanField(label="同意拍摄和保存本人照片（单独同意）", required=False, widget=_check())
    guardian_name = forms.CharField(label="监护人姓名", max_length=50, required=False, widget=_text())
    guardian_relation = forms.CharField(label="监护人关系", max_length=20, required=False, widget=_text())
    guardian_phone = forms.CharField(label="监护人电话", max_length=20, required=False, widget=_text(inputmode="tel"))
    guardian_id_number = forms.CharField(label="监护人身份证号", max_length=20, required=False, widget=_text())

    def __init__(self, *args, viewer_org: Org, registering: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.registering = registering
        field = UnitField(queryset=units_of(viewer_org), label="责任单位", empty_label=None)
        field.base_depth = viewer_org.depth
        field.widget.attrs["class"] = "form-select"
        self.fields["org"] = field
        self.fields["categories"].queryset = Category.objects.filter(is_active=True)
        if not registering:
            del self.fields["org"]
            for name in (*self.CONSENT_FIELDS, *self.GUARDIAN_FIELDS):
                del self.fields[name]
        else:
            self.fields["consent_given_on"].initial = timezone.localdate()

    def consent(self) -> ConsentInput | None:
        data = self.cleaned_data
        if not data.get("consent_given_by"):
            return None
        return ConsentInput(
            given_by=data["consent_given_by"],
            relation=data.get("consent_relation") or "本人",
            given_on=data.get("consent_given_on") or timezone.localdate(),
            valid_until=data.get("consent_valid_until"),
            covers_photo=data.get("consent_photo", False),
        )

    def guardian(self) -> GuardianInput | None:
        data = self.cleaned_data
        if not data.get("guardian_name"):
            return None
        return GuardianInput(
            name=data["guardian_name"],
            relation=data.get("guardian_relation") or "监护人",
            phone=data.get("guardian_phone", ""),
            id_number=data.get("guardian_id_number", ""),
        )

    def person_fields(self) -> dict:
        skip = {"org", "categories", *self.CONSENT_FIELDS, *self.GUARDIAN_FIELDS}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class SearchForm(forms.Form):
    q = forms.CharField(label="姓名或身份证号", max_length=30, widget=_text(placeholder="姓名或完整身份证号"))


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=list(Person.REVEALABLE.items()))
    reason = forms.CharField(
        label="查看原因",
        min_length=4,
        max_length=200,
        widget=_text(placeholder="如：电话回访需要拨号"),
        error_messages={"required": "请填写查看原因。", "min_length": "请写明查看原因（至少 4 个字）。"},
    )


class CloseForm(forms.Form):
    reason = forms.CharField(label="结案原因", max_length=100, widget=_text(placeholder="如：已稳定就业，困难已解决"))


class MemberForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, widget=_text())
    relation = forms.CharField(label="关系", max_length=20, widget=_text(placeholder="如：母亲、祖父"))
    is_guardian = forms.BooleanField(label="监护人", required=False, widget=_check())
    phone = forms.CharField(label="联系电话", max_length=20, required=False, widget=_text(inputmode="tel"))
    id_number = forms.CharField(label="身份证号", max_length=20, required=False, widget=_text())
    notes = forms.CharField(label="说明（如外出务工地）", required=False, widget=_area(2))


class ConsentForm(forms.Form):
    given_by = forms.CharField(label="同意人", max_length=50, widget=_text())
    relation = forms.CharField(label="与本人关系", max_length=20, initial="本人", widget=_text())
    purposes = forms.CharField(label="同意的用途", max_length=200, initial="登记建档、帮扶、回访", widget=_text())
    covers_photo = forms.BooleanField(label="同意拍摄和保存本人照片（单独同意）", required=False, widget=_check())
    given_on = forms.DateField(label="同意日期", widget=_date())
    valid_until = forms.DateField(label="有效期至", required=False, widget=_date())

    def consent(self) -> ConsentInput:
        return ConsentInput(**self.cleaned_data)


class HelpForm(forms.Form):
    given_on = forms.DateField(label="日期", widget=_date())
    kind = forms.ChoiceField(label="帮扶方式", choices=HelpRecord.Kind.choices, widget=_select())
    amount = forms.DecimalField(
        label="金额（元）", min_value=0, max_digits=10, decimal_places=2, required=False, widget=_number()
    )
    goods = forms.CharField(
        label="物资", max_length=100, required=False, widget=_text(placeholder="如：米 2 袋、油 1 桶")
    )
    given_by = forms.CharField(label="帮扶人或单位", max_length=100, widget=_text())
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, label="所属活动", empty_label="（不属于某个活动）"
    )
    line = forms.ModelChoiceField(
        queryset=ActivityLine.objects.none(), required=False, label="活动项目", empty_label="—"
    )
    note = forms.CharField(label="说明", required=False, widget=_area(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        campaigns = Campaign.objects.exclude(status=Campaign.Status.DRAFT).order_by("-published_at")
        self.fields["campaign"].queryset = campaigns
        self.fields["campaign"].widget.attrs["class"] = "form-select"
        self.fields["line"].queryset = ActivityLine.objects.filter(campaign__in=campaigns).select_related("campaign")
        self.fields["line"].label_from_instance = lambda line: f"{line.campaign.title} · {line.title}"
        self.fields["line"].widget.attrs["class"] = "form-select"
        self.fields["given_on"].initial = timezone.localdate()


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=HelpAttachment.Kind.choices, widget=_select())
    file = forms.FileField(
        label="文件",
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": "image/jpeg,image/png,application/pdf"}
        ),
    )


class FollowUpForm(forms.Form):
    visited_on = forms.DateField(label="回访日期", widget=_date())
    way = forms.ChoiceField(label="方式", choices=FollowUp.Way.choices, widget=_select())
    note = forms.CharField(label="回访记录", required=False, widget=_area(4))
    next_on = forms.DateField(label="下次回访", required=False, widget=_date(), help_text="不填则按回访周期推算。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()


class ExportForm(forms.Form):
    password = forms.CharField(
        label="文件密码",
        min_length=10,
        max_length=64,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
        help_text="至少 10 位。文件用此密码加密；请通过电话等其他渠道把密码告诉接收人，不要与文件一起发送。",
        error_messages={"min_length": "密码至少 10 位。", "required": "请设置文件密码。"},
    )
    full_names = forms.BooleanField(label="包含完整姓名", required=False, widget=_check())
    contact = forms.BooleanField(label="包含联系电话和住址", required=False, widget=_check())
    id_numbers = forms.BooleanField(label="包含身份证号", required=False, widget=_check())
    reason = forms.CharField(
        label="导出用途", min_length=4, max_length=200, widget=_text(placeholder="如：报送县民政局低保复核")
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )


class CategoryForm(forms.Form):
    name = forms.CharField(label="类别名称", max_length=30, widget=_text())
    for_minors = forms.BooleanField(label="未成年人类别（保存期从年满 18 周岁起算）", required=False, widget=_check())
    retention_years = forms.IntegerField(label="保存年限", min_value=1, max_value=30, initial=5, widget=_number())
