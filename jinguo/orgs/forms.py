from django import forms

from jinguo.orgs.models import Org

IMPORT_MAX_BYTES = 5 * 1024 * 1024


class OrgForm(forms.Form):
    name = forms.CharField(label="单位名称", max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))
    short_name = forms.CharField(
        label="简称", max_length=40, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    kind = forms.ChoiceField(
        label="单位类型", choices=Org.Kind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    code = forms.RegexField(
        label="统计用区划代码",
        regex=r"^\d{1,12}$",
        required=False,
        error_messages={"invalid": "区划代码应为不超过 12 位的数字"},
        help_text="没有统计用区划代码的单位（如机关部室、妇委会）可以不填。",
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="组织机构表",
        help_text="支持 .xlsx 或 .csv 文件，不超过 5 MB。请先下载模板，按模板填写。",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("只支持 .xlsx 或 .csv 文件")
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError("文件不能超过 5 MB，请分成几个文件导入")
        return upload
