"""Turning what was typed and chosen into 公文 parts."""

from __future__ import annotations

from types import SimpleNamespace

from jinguo.documents.builders import full_name, kind_addressees, parse_text
from jinguo.lib.gongwen import Annex, Heading, Para
from jinguo.orgs.models import Org


def test_the_seed_notices_kinds_give_its_own_addressee_line():
    city = SimpleNamespace(kind=Org.Kind.CITY)
    kinds = [Org.Kind.COUNTY, Org.Kind.COMMITTEE, Org.Kind.GROUP, Org.Kind.DEPARTMENT]
    assert "，".join(kind_addressees(city, kinds)) == (
        "各县（市、区）妇联，市直各单位妇联（妇委会、妇女小组），市妇联机关各部（室）"
    )
    county = SimpleNamespace(kind=Org.Kind.COUNTY)
    assert kind_addressees(county, [Org.Kind.TOWNSHIP, Org.Kind.COMMITTEE]) == [
        "各乡镇（街道）妇联",
        "县直各单位妇委会",
    ]


def test_full_name_spells_out_the_federation():
    assert full_name(SimpleNamespace(name="毕节市妇联")) == "毕节市妇女联合会"
    assert full_name(SimpleNamespace(name="毕节市教育局妇委会")) == "毕节市教育局妇委会"


def test_parse_text_finds_the_addressees_headings_notes_and_annex():
    parsed = parse_text(
        "各县（市、区）妇联，市直各单位妇联：\r\n\r\n"
        "现将方案印发给你们。\n\n"
        "附件：1．活动方案\n"
        "2．联系人回执\n\n"
        "附件1\n"
        "活动方案\n"
        "一、指导思想\n"
        "（二）主要活动\n"
        "（一）切实加强领导。各县要高度重视。\n"
    )
    assert parsed.addressees == "各县（市、区）妇联，市直各单位妇联"
    assert parsed.attachment_notes == ["活动方案", "联系人回执"]
    assert parsed.blocks == [
        Para("现将方案印发给你们。"),
        Annex(title="活动方案", label="附件1"),
        Heading("一、指导思想", level=1),
        Heading("（二）主要活动", level=2),
        Para("（一）切实加强领导。各县要高度重视。"),
    ]


def test_parse_text_keeps_plain_prose_as_paragraphs():
    parsed = parse_text("3月5日，区妇联开展宣讲。\n共有 120 人参加：妇女 90 人。")
    assert parsed.addressees == ""
    assert parsed.blocks == [Para("3月5日，区妇联开展宣讲。"), Para("共有 120 人参加：妇女 90 人。")]
