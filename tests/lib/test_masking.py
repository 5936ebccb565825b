"""One mask per kind of personal data, with exact values, and the same in templates."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.template import Context, Template

from jinguo.lib.masking import mask_id_number, mask_name, mask_phone

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138****8000"),
        ("  13812345678 ", "138****5678"),
        ("0857-8221234", "085****1234"),
        ("010-12345678", "010****5678"),
        ("0857-8221234-801", "085****-801"),
        # Shorter than a mobile: head and tail would show most of it, so only the last two stay.
        ("1380013800", "********00"),
        ("8221234", "*****34"),
        ("12345", "***45"),
        ("123", "*23"),
        ("12", "**"),
        ("1", "*"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask_phone_exact_values(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张小丽", "张*丽"),
        ("张丽", "张*"),
        ("欧阳娜娜", "欧**娜"),
        ("买买提·艾力", "买****力"),
        (" 王芳 ", "王*"),
        ("丽", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name_exact_values(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("520502199001011234", "520502********1234"),
        ("52050219900101123X", "520502********123X"),
        (" 520502199001011234 ", "520502********1234"),
        ("520502900101123", "520502******123"),
        # Not 15 or 18 characters: not a number we can read, nothing of it is shown.
        ("5205021990010112", "****************"),
        ("5205021990010112345", "*******************"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number_exact_values(number, masked):
    assert mask_id_number(number) == masked


def test_masks_never_show_a_whole_value():
    for value in ("1", "12", "123", "1234567", "12345678901", "张", "张丽", "张小丽"):
        assert mask_phone(value) != value and mask_name(value) != value and mask_id_number(value) != value


def test_template_filters_are_the_same_masks():
    rendered = Template(
        "{% load masking %}{{ phone|mask_phone }} {{ name|mask_name }} {{ id|mask_id_number }} [{{ none|mask_phone }}]"
    ).render(Context({"phone": "13800138000", "name": "张小丽", "id": "520502199001011234", "none": None}))
    assert rendered == "138****8000 张*丽 520502********1234 []"


def test_masks_are_written_only_in_the_masking_module():
    """A string of nothing but stars is how a mask gets written; outside lib/masking.py it is a second mask."""
    elsewhere = []
    for path in sorted((ROOT / "jinguo").rglob("*.py")):
        if path == ROOT / "jinguo" / "lib" / "masking.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value
                and not node.value.strip("*")
            ):
                elsewhere.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    for path in sorted((ROOT / "jinguo").rglob("*.html")):
        if "**" in path.read_text(encoding="utf-8"):
            elsewhere.append(str(path.relative_to(ROOT)))
    assert elsewhere == []
