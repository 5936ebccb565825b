from __future__ import annotations

from django import forms

from jinguo.quiz.models import Difficulty, Kind, Quiz, Topic

IMPORT_MAX_BYTES = 5 * 1024 * 1024
TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}


class BankForm(forms.Form):
    name = forms.CharField(label="题库名称", max_length=100, widget=forms.TextInput(attrs=TEXT))
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label="题型", choices=Kind.choices, widget=forms.Select(attrs=SELECT))
    topic = forms.ChoiceField(label="主题", choices=Topic.choices, widget=forms.Select(attrs=SELECT))
    difficulty = forms.ChoiceField(
        label="难度", choices=Difficulty.choices, initial=Difficulty.MEDIUM, widget=forms.Select(attrs=SELECT)
    )
    stem = forms.CharField(label="题干", max_length=1000, widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
    option_a = forms.CharField(label="选项A", required=False, max_length=300, widget=forms.TextInput(attrs=TEXT))
    option_b = forms.CharField(label="选项B", required=False, max_length=300, widget=forms.TextInput(attrs=TEXT))
    option_c = forms.CharField(label="选项C", required=False, max_length=300, widget=forms.TextInput(attrs=TEXT))
    option_d = forms.CharField(label="选项D", required=False, max_length=300, widget=forms.TextInput(attrs=TEXT))
    option_e = forms.CharField(label="选项E", required=False, max_length=300, widget=forms.TextInput(attrs=TEXT))
    answer = forms.CharField(
        label="答案",
        max_length=20,
        help_text="单选填一个字母，如 B；多选填多个字母，如 ACD；判断题填“正确”或“错误”，不填选项。",
        widget=forms.TextInput(attrs=TEXT),
    )
    explanation = forms.CharField(label="解析", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))
    source = forms.CharField(
        label="出处",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={**TEXT, "placeholder": "《妇女权益保障法》第四十五条"}),
    )
    basis = forms.CharField(label="依据（法条原文）", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 3}))

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "topic": data["topic"],
            "difficulty": data["difficulty"],
            "stem": data["stem"],
            "options": [data[f"option_{c}"] for c in "abcde"],
            "answer": data["answer"],
            "explanation": data["explanation"],
            "source": data["source"],
            "basis": data["basis"],
        }


class ImportForm(forms.Form):
    file = forms.FileField(
        label="试题文件",
        help_text="支持 .xlsx 或 UTF-8 编码的 .csv 文件，不超过 5 MB。请先下载模板，按模板填写。",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("只支持 .xlsx 或 .csv 文件")
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError("文件不能超过 5 MB，请分成几个文件导入")
        return upload


IDENTITY_CHECK_HELP = {
    Quiz.IdentityCheck.DEFAULT: "勾选了“设有奖品”就用短信验证码，否则用本机验证。",
    Quiz.IdentityCheck.DEVICE: (
        "参赛人第一次答题的手机（同一个浏览器）才能继续答未交的卷、看已选的答案和交卷后的成绩姓名、再答一次。"
        "能防止：别人输入他的手机号接着答他的卷、看他的答案和姓名、用掉他的答题次数、改他在排行榜上的姓名和单位。"
        "不能防止：别人抢先用他的手机号报名。换了手机或清除了浏览器数据，就不能再用这个手机号答题。不发短信，没有费用。"
    ),
    Quiz.IdentityCheck.SMS: (
        "每次开始答题都要填写发到这个手机号的验证码，证明手机号是本人的。"
        "能防止：别人冒用他的手机号报名、答题、领奖，接着答他的卷或改他的姓名和单位；换了手机也能凭验证码继续。"
        "每条短信有费用；每个网络地址、每个手机号和全站每天发送的条数有上限。"
    ),
}

DATETIME = forms.DateTimeInput(attrs={**TEXT, "type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class QuizForm(forms.Form):
    title = forms.CharField(label="竞赛名称", max_length=200, widget=forms.TextInput(attrs=TEXT))
    description = forms.CharField(
        label="说明（显示在答题页）", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 3})
    )
    bank = forms.ModelChoiceField(
        label="题库", queryset=None, widget=forms.Select(attrs=SELECT), empty_label="请选择题库"
    )
    opens_at = forms.DateTimeField(
        label="开始时间", widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    closes_at = forms.DateTimeField(
        label="结束时间", widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    audience = forms.ChoiceField(label="参加对象", choices=Quiz.Audience.choices, widget=forms.Select(attrs=SELECT))
    points_single = forms.IntegerField(
        label="单选题每题分值", min_value=0, max_value=100, initial=5, widget=forms.NumberInput(attrs=TEXT)
    )
    points_multi = forms.IntegerField(
        label="多选题每题分值", min_value=0, max_value=100, initial=5, widget=forms.NumberInput(attrs=TEXT)
    )
    points_judge = forms.IntegerField(
        label="判断题每题分值", min_value=0, max_value=100, initial=5, widget=forms.NumberInput(attrs=TEXT)
    )
    time_limit_minutes = forms.IntegerField(
        label="答题时限（分钟）", min_value=1, max_value=600, initial=20, widget=forms.NumberInput(attrs=TEXT)
    )
    max_attempts = forms.IntegerField(
        label="每人最多答题次数", min_value=1, max_value=100, initial=3, widget=forms.NumberInput(attrs=TEXT)
    )
    max_attempts_per_day = forms.IntegerField(
        label="每人每天最多答题次数",
        min_value=0,
        max_value=100,
        initial=1,
        help_text="0 表示不限每天次数。",
        widget=forms.NumberInput(attrs=TEXT),
    )
    leaderboard_size = forms.IntegerField(
        label="排行榜显示人数", min_value=1, max_value=500, initial=50, widget=forms.NumberInput(attrs=TEXT)
    )
    awards_prizes = forms.BooleanField(
        label="设有奖品（按名次或成绩发奖）",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    identity_check = forms.ChoiceField(
        label="参赛人身份核验",
        choices=Quiz.IdentityCheck.choices,
        initial=Quiz.IdentityCheck.DEFAULT,
        required=False,  # none chosen: the default
        widget=forms.RadioSelect,
    )

    def clean_identity_check(self) -> str:
        return self.cleaned_data["identity_check"] or Quiz.IdentityCheck.DEFAULT

    def identity_options(self) -> list[tuple[str, str, str]]:
        """(value, label, what it protects) of each identity check: the form says what each choice does."""
        return [(value, label, IDENTITY_CHECK_HELP[value]) for value, label in Quiz.IdentityCheck.choices]

    def __init__(self, *args, banks, rules=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = banks
        self.rules = rules or []
        self.rule_errors: list[str] = []

    def clean(self):
        data = super().clean()
        if self.rule_errors:
            raise forms.ValidationError(self.rule_errors)
        return data


def posted_rules(post) -> tuple[list[dict], list[str]]:
    """The paper rules rows of the quiz form: (rules, Chinese errors); the rows keep what was typed."""
    topics, kinds = post.getlist("rule_topic"), post.getlist("rule_kind")
    difficulties, counts = post.getlist("rule_difficulty"), post.getlist("rule_count")
    rules, errors = [], []
    for i, raw in enumerate(counts):
        topic = topics[i] if i < len(topics) else ""
        kind = kinds[i] if i < len(kinds) else ""
        difficulty = difficulties[i] if i < len(difficulties) else ""
        raw = (raw or "").strip()
        if not raw:  # a blank count removes the rule
            continue
        rule = {"topic": topic, "kind": kind, "difficulty": difficulty, "count": raw}
        rules.append(rule)
        if topic and topic not in Topic.values or difficulty and difficulty not in Difficulty.values:
            errors.append(f"第 {i + 1} 条组卷规则的主题或难度无效")
        if kind not in Kind.values:
            errors.append(f"第 {i + 1} 条组卷规则请选择题型")
        if not raw.isdigit() or not 1 <= int(raw) <= 200:
            errors.append(f"第 {i + 1} 条组卷规则的题数应为 1–200 的整数")
        else:
            rule["count"] = int(raw)
    if not rules:
        errors.append("请至少填写一条组卷规则")
    return rules, errors
