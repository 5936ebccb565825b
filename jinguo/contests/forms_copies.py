"""Forms of copy detection: a reference text (pasted or uploaded) and a verdict on a pair."""

from __future__ import annotations

from django import forms

from jinguo.contests.forms import TEXT
from jinguo.contests.models_copies import Overlap

REFERENCE_MAX_BYTES = 10 * 1024 * 1024


class ReferenceForm(forms.Form):
    title = forms.CharField(label="标题", max_length=200, widget=forms.TextInput(attrs=TEXT))
    source = forms.CharField(
        label="出处",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={**TEXT, "placeholder": "例如：某报 2022 年 3 月 8 日"}),
    )
    text = forms.CharField(label="正文（粘贴）", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 8}))
    file = forms.FileField(
        label="或上传 .txt / .docx 文件",
        required=False,
        widget=forms.ClearableFileInput(attrs={**TEXT, "accept": ".txt,.docx"}),
    )

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("file"):
            raise forms.ValidationError("请粘贴正文或上传 .txt / .docx 文件")
        return data


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        label="核查结论",
        choices=[(Overlap.Verdict.COPY, "确认抄袭"), (Overlap.Verdict.NOT_COPY, "不是抄袭")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="核查说明",
        max_length=2000,
        required=False,
        widget=forms.Textarea(
            attrs={**TEXT, "rows": 3, "placeholder": "例如：第 1、2 段与对方作品一致；或：双方引用同一篇公开报道"}
        ),
    )
