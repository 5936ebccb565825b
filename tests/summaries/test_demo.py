"""The demo: the 2023 notice's city summary drafted (and printable as 公文), one county's filed and
accepted, one returned with a reason; the matrix shows it."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.urls import reverse
from docx import Document as open_docx

from jinguo.accounts.models import User
from jinguo.summaries.documents import render, summary_document
from jinguo.summaries.models import Summary
from tests.conftest import login


def test_the_demo_has_the_city_summary_drafted_one_county_accepted_one_returned(db, capsys):
    call_command("loaddemo")
    states = {s.org.name: s.status for s in Summary.objects.select_related("org")}
    assert states == {"毕节市妇联": "draft", "七星关区妇联": "accepted", "大方县妇联": "returned"}
    returned = Summary.objects.get(org__name="大方县妇联")
    assert "存在的问题和下一步打算" in returned.return_reason
    city = Summary.objects.get(org__name="毕节市妇联")
    doc = open_docx(io.BytesIO(render(summary_document(city), "docx")))
    # A long title is broken into lines (gongwen's title layout): compare the words.
    texts = [p.text.replace("\n", "") for p in doc.paragraphs if p.text]
    assert texts[:2] == ["毕节市妇联文件", city.title]
    assert "一、总体情况" in texts
    assert doc.tables[-1].rows[-1].cells[0].text == "合计"
    page = login(User.objects.get(username="sj_admin")).get(reverse("dashboard:matrix", args=[city.campaign_id]))
    body = page.content.decode()
    qxg = Summary.objects.get(org__name="七星关区妇联")
    assert "已通过" in body.split(f'data-testid="summary-{qxg.org_id}">')[1].split("</td>")[0]
