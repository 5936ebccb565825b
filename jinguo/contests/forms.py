from __future__ import annotations

from django import forms

from jinguo.campaigns.models import ActivityLine
from jinguo.contests.documents import DOCUMENT_LABEL, DOCUMENT_TYPES, MEDIA_LABELS, MEDIA_TYPES
from jinguo.contests.models import Contest

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
DATETIME = forms.DateTimeInput(attrs={**TEXT, "type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
MEDIA_CHOICES = [("image", "图片"), ("audio", "音频"), ("video", "视频")]


class LineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ActivityLine) -> str:
        return f"{obj.campaign.title} · {obj.title}"


class ContestForm(forms.Form):
    title = forms.CharField(label="赛事名称", max_length=200, widget=forms.TextInput(attrs=TEXT))
    kind = forms.ChoiceField(label="类型", choices=Contest.Kind.choices, widget=forms.Select(attrs=SELECT))
    line = LineChoiceField(
        label="所属活动项目",
        queryset=None,
        required=False,
        empty_label="（不属于某个活动通知）",
        widget=forms.Select(attrs=SELECT),
    )
    categories = forms.CharField(
        label="组别",
        help_text="每行一个，如：散文、诗歌；书画、摄影。",
        widget=forms.Textarea(attrs={**TEXT, "rows": 3}),
    )
    opens_at = forms.DateTimeField(label="征集开始", widget=DATETIME, input_formats=DATETIME_FORMATS)
    closes_at = forms.DateTimeField(label="征集截止", widget=DATETIME, input_formats=DATETIME_FORMATS)
    max_chars = forms.IntegerField(
        label="字数上限（汉字）",
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="征文按汉字计数；留空表示不限。",
        widget=forms.NumberInput(attrs=TEXT),
    )
    max_file_mb = forms.IntegerField(
        label="文件大小上限（MB）", min_value=1, max_value=500, initial=20, widget=forms.NumberInput(attrs=TEXT)
    )
    allowed_media = forms.MultipleChoiceField(
        label="作品类型（作品类赛事）",
        choices=MEDIA_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    code_prefix = forms.RegexField(
        label="作品编号前缀",
        regex=r"^[A-Z]{1,6}$",
        initial="ZW",
        error_messages={"invalid": "请填写 1–6 个大写字母，如 ZW"},
        widget=forms.TextInput(attrs=TEXT),
    )
    rules = forms.CharField(label="征集规则", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 5}))
    declaration_text = forms.CharField(
        label="原创声明",
        help_text="投稿人须勾选同意。",
        widget=forms.Textarea(attrs={**TEXT, "rows": 2}),
    )
    public_enabled = forms.BooleanField(
        label="开放群众投稿（通过链接或二维码，无需账号）",
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, lines=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines if lines is not None else ActivityLine.objects.none()

    def clean_categories(self) -> list[str]:
        names = []
        for line in self.cleaned_data["categories"].splitlines():
            name = line.strip()
            if name and name not in names:
                if len(name) > 50:
                    raise forms.ValidationError(f"组别名称“{name[:10]}…”太长（最多 50 字）")
                names.append(name)
        if not names:
            raise forms.ValidationError("至少要设一个组别")
        return names

    def clean(self):
        data = super().clean()
        if data.get("kind") == Contest.Kind.WORKS and not data.get("allowed_media"):
            self.add_error("allowed_media", "作品类赛事请至少选择一种作品类型")
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["allowed_media"] = ",".join(data["allowed_media"]) if data["kind"] == Contest.Kind.WORKS else ""
        if data["kind"] != Contest.Kind.ESSAY:
            data["max_chars"] = None
        return data


class EntryForm(forms.Form):
    """A liaison's entry for an author of their unit; the public page uses the same fields less the unit select."""

    category = forms.ModelChoiceField(
        label="组别", queryset=None, empty_label="请选择组别", widget=forms.Select(attrs=SELECT)
    )
    title = forms.CharField(label="作品标题", max_length=200, widget=forms.TextInput(attrs=TEXT))
    author_name = forms.CharField(label="作者姓名", max_length=50, widget=forms.TextInput(attrs=TEXT))
    author_phone = forms.CharField(
        label="作者联系电话", max_length=20, widget=forms.TextInput(attrs={**TEXT, "inputmode": "tel"})
    )
    author_org = forms.ModelChoiceField(
        label="作者所在单位", queryset=None, empty_label="请选择单位", widget=forms.Select(attrs=SELECT)
    )
    text = forms.CharField(
        label="正文",
        required=False,
        help_text="可直接粘贴正文，或在下面上传文件（二选一）。",
        widget=forms.Textarea(attrs={**TEXT, "rows": 10}),
    )
    file = forms.FileField(
        label="作品文件", required=False, widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )
    declared = forms.BooleanField(
        label="我已阅读并同意原创声明",
        required=True,
        error_messages={"required": "请阅读并勾选原创声明"},
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, contest: Contest, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contest = contest
        self.fields["category"].queryset = contest.categories.all()
        if orgs is None:
            del self.fields["author_org"]
        else:
            self.fields["author_org"].queryset = orgs
        if contest.kind == Contest.Kind.WORKS:
            del self.fields["text"]
            self.fields["file"].required = True
            kinds = [MEDIA_LABELS[k] for k in contest.media_kinds if k in MEDIA_LABELS]
            self.fields["file"].help_text = f"{'、'.join(kinds)}，不超过 {contest.max_file_mb} MB。"
            accept = [ext for ext, (kind, _) in MEDIA_TYPES.items() if kind in contest.media_kinds]
        else:
            self.fields["file"].help_text = f"支持 {DOCUMENT_LABEL}，不超过 {contest.max_file_mb} MB。"
            accept = list(DOCUMENT_TYPES)
        self.fields["file"].widget.attrs["accept"] = ",".join(accept)

    def clean(self):
        data = super().clean()
        if self.contest.kind == Contest.Kind.ESSAY and not (data.get("text") or "").strip() and not data.get("file"):
            self.add_error("text", "请粘贴正文或上传文件")
        return data


class ReplaceForm(forms.Form):
    title = forms.CharField(label="作品标题", max_length=200, required=False, widget=forms.TextInput(attrs=TEXT))
    text = forms.CharField(label="新的正文", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 10}))
    file = forms.FileField(
        label="新的作品文件", required=False, widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("file"):
            raise forms.ValidationError("请粘贴新的正文或上传新的文件")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="原因", max_length=1000, widget=forms.Textarea(attrs={**TEXT, "rows": 2}), strip=True
    )


class RedactionForm(forms.Form):
    redacted_text = forms.CharField(
        label="评审用正文（评委看到的文字）", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 18})
    )
