"""The pages: scope (a sibling county's summary is a 404 everywhere), the editor through htmx and
without it, filing and review, the matrix's 总结 column, and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jinguo.campaigns.models import CampaignTarget
from jinguo.summaries import services
from jinguo.summaries.models import Paragraph, Section, Summary
from tests.factories import make_campaign

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def qxg_summary(tree, users, world) -> Summary:
    return services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)


@pytest.fixture
def dafang_summary(tree, users, world) -> Summary:
    return services.draft_summary(world.campaign, unit=tree.dafang, by=users.dafang_liaison)


def first_paragraph(summary: Summary, key: str = "overview") -> Paragraph:
    return Paragraph.objects.filter(section__summary=summary, section__key=key).order_by("order").first()


def test_a_sibling_countys_summary_is_a_404_on_every_page(client_for, users, qxg_summary, dafang_summary):
    client = client_for(users.qxg_liaison)
    p = first_paragraph(dafang_summary)
    section = p.section
    gets = [
        reverse("summaries:detail", args=[dafang_summary.pk]),
        reverse("summaries:paragraph_edit", args=[p.pk]),
        reverse("summaries:section", args=[section.pk]),
    ]
    posts = [
        reverse("summaries:paragraph_edit", args=[p.pk]),
        reverse("summaries:paragraph_delete", args=[p.pk]),
        reverse("summaries:paragraph_move", args=[p.pk]),
        reverse("summaries:paragraph_add", args=[section.pk]),
        reverse("summaries:section_rename", args=[section.pk]),
        reverse("summaries:section_add", args=[dafang_summary.pk]),
        reverse("summaries:submit", args=[dafang_summary.pk]),
        reverse("summaries:accept", args=[dafang_summary.pk]),
        reverse("summaries:return", args=[dafang_summary.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"text": "改写", "heading": "改写", "reason": "x"}).status_code == 404, url
    assert Paragraph.objects.get(pk=p.pk).text == p.text
    # The county's own pages work, and name nothing of its sibling's.
    own = client.get(reverse("summaries:detail", args=[qxg_summary.pk]))
    assert own.status_code == 200
    assert "大方" not in own.content.decode()
    index = client.get(reverse("summaries:index")).content.decode()
    assert "大方" not in index


def test_the_unit_above_reads_but_does_not_edit(client_for, users, qxg_summary):
    client = client_for(users.city_admin)
    assert client.get(reverse("summaries:detail", args=[qxg_summary.pk])).status_code == 200
    p = first_paragraph(qxg_summary)
    assert client.post(reverse("summaries:paragraph_edit", args=[p.pk]), {"text": "市里改写"}).status_code == 403
    assert client.get(reverse("summaries:paragraph_edit", args=[p.pk])).status_code == 403
    assert Paragraph.objects.get(pk=p.pk).text == p.text


def test_a_township_cannot_see_its_countys_summary(client_for, tree, qxg_summary):
    from tests.factories import UserFactory

    town = UserFactory(org=tree.qxg_town, is_liaison=True)
    assert client_for(town).get(reverse("summaries:detail", args=[qxg_summary.pk])).status_code == 404


def test_drafting_from_the_list(client_for, users, world):
    client = client_for(users.qxg_liaison)
    page = client.get(reverse("summaries:index")).content.decode()
    assert f'data-testid="draft-{world.campaign.pk}"' in page
    response = client.post(reverse("summaries:draft", args=[world.campaign.pk]))
    summary = Summary.objects.get(campaign=world.campaign, org=users.qxg_liaison.org)
    assert response.status_code == 302 and response.url == reverse("summaries:detail", args=[summary.pk])
    page = client.get(response.url).content.decode()
    assert "共开展各类活动4场次" in page
    assert (
        page.count('class="badge text-bg-info me-1"')
        == Paragraph.objects.filter(section__summary=summary).exclude(data_text="").count()
    )


def test_drafting_a_sibling_campaign_is_refused(client_for, tree, users, world):
    other = make_campaign(issuer=tree.dafang, by=users.dafang_admin, targets=[tree.dafang_town], title="大方县的活动")
    response = client_for(users.qxg_liaison).post(reverse("summaries:draft", args=[other.pk]))
    assert response.status_code == 404
    assert not Summary.objects.filter(campaign=other).exists()


def test_editing_a_paragraph_through_htmx_returns_the_section_unmarked(client_for, users, qxg_summary):
    client = client_for(users.qxg_liaison)
    p = first_paragraph(qxg_summary)
    form = client.get(reverse("summaries:paragraph_edit", args=[p.pk]), **HTMX)
    assert form.status_code == 200
    body = form.content.decode()
    assert "<textarea" in body and p.text in body and "<html" not in body
    saved = client.post(reverse("summaries:paragraph_edit", args=[p.pk]), {"text": "我区活动开展有声有色。"}, **HTMX)
    body = saved.content.decode()
    assert f'id="section-{p.section_id}"' in body and "我区活动开展有声有色。" in body
    assert f'data-testid="para-{p.pk}"' in body and 'summary-para is-data" id="para-{p.pk}"' not in body


def test_an_empty_rewrite_keeps_nothing_lost(client_for, users, qxg_summary):
    client = client_for(users.qxg_liaison)
    p = first_paragraph(qxg_summary)
    body = client.post(reverse("summaries:paragraph_edit", args=[p.pk]), {"text": "  "}, **HTMX).content.decode()
    assert "段落不能为空" in body and "<textarea" in body
    plain = client.post(reverse("summaries:paragraph_edit", args=[p.pk]), {"text": "x" * 5001})
    assert plain.status_code == 422
    assert "不能超过 5000 字" in plain.content.decode() and "x" * 5001 in plain.content.decode()


def test_move_add_delete_without_javascript_redirect_to_the_section(client_for, users, qxg_summary):
    client = client_for(users.qxg_liaison)
    section = Section.objects.get(summary=qxg_summary, key="next")
    response = client.post(reverse("summaries:paragraph_add", args=[section.pk]), {"text": "明年继续开展。"})
    assert response.status_code == 302 and response.url.endswith(f"#section-{section.pk}")
    p = Paragraph.objects.get(section=section)
    assert client.post(reverse("summaries:paragraph_delete", args=[p.pk])).status_code == 302
    assert not Paragraph.objects.filter(section=section).exists()


def test_file_return_refile_accept_through_the_pages(client_for, users, qxg_summary):
    liaison, reviewer = client_for(users.qxg_liaison), client_for(users.city_reviewer)
    assert liaison.post(reverse("summaries:submit", args=[qxg_summary.pk])).status_code == 302
    queue = reviewer.get(reverse("summaries:index")).content.decode()
    assert reverse("summaries:detail", args=[qxg_summary.pk]) in queue
    page = reviewer.get(reverse("summaries:detail", args=[qxg_summary.pk])).content.decode()
    assert 'data-testid="accept"' in page and 'data-testid="return"' in page
    empty = reviewer.post(reverse("summaries:return", args=[qxg_summary.pk]), {"reason": ""})
    assert empty.status_code == 422 and "请填写退回原因" in empty.content.decode()
    reviewer.post(reverse("summaries:return", args=[qxg_summary.pk]), {"reason": "请补充做法"})
    qxg_summary.refresh_from_db()
    assert qxg_summary.status == Summary.Status.RETURNED
    assert "请补充做法" in liaison.get(reverse("summaries:detail", args=[qxg_summary.pk])).content.decode()
    liaison.post(reverse("summaries:submit", args=[qxg_summary.pk]))
    # Only the unit it was filed with reviews: 大方县's admin gets a 404, the county's own admin a no-op.
    assert client_for(users.dafang_admin).post(reverse("summaries:accept", args=[qxg_summary.pk])).status_code == 404
    assert client_for(users.qxg_admin).post(reverse("summaries:accept", args=[qxg_summary.pk])).status_code == 403
    reviewer.post(reverse("summaries:accept", args=[qxg_summary.pk]))
    qxg_summary.refresh_from_db()
    assert (qxg_summary.status, qxg_summary.version) == (Summary.Status.ACCEPTED, 2)


def test_the_matrix_shows_who_filed_a_summary(client_for, tree, users, world, qxg_summary, dafang_summary):
    services.submit_summary(qxg_summary, by=users.qxg_liaison)
    services.accept_summary(qxg_summary, by=users.city_admin)
    page = client_for(users.city_admin).get(reverse("dashboard:matrix", args=[world.campaign.pk])).content.decode()
    assert "<th>总结</th>" in page
    cell = page.split(f'data-testid="summary-{tree.qxg.pk}">')[1].split("</td>")[0]
    assert "已通过" in cell
    assert f'href="{reverse("summaries:detail", args=[qxg_summary.pk])}"' in cell
    cell = page.split(f'data-testid="summary-{tree.dafang.pk}">')[1].split("</td>")[0]
    assert "草稿" in cell
    cell = page.split(f'data-testid="summary-{tree.office.pk}">')[1].split("</td>")[0]
    assert "未起草" in cell
    # The same rule in the matrix export.
    from tests.excel import export_rows

    response = client_for(users.city_admin).get(reverse("dashboard:matrix_export", args=[world.campaign.pk]))
    rows = export_rows(response.content)
    by_unit = {r[0]: r[-1] for r in rows[1:]}
    assert by_unit == {"七星关区妇联": "已通过", "大方县妇联": "草稿", "办公室": "未起草"}


def test_the_summary_state_is_the_querysets_rule(tree, users, world, qxg_summary):
    """The matrix column and the review queue read one definition (``SummaryQuerySet``)."""
    rows = CampaignTarget.objects.filter(campaign=world.campaign).annotate(
        summary_state=Summary.objects.state_of_targets()
    )
    assert {t.org_id: t.summary_state.value for t in rows} == {
        tree.qxg.pk: "draft",
        tree.dafang.pk: "none",
        tree.office.pk: "none",
    }
    assert list(Summary.objects.filed()) == []
    services.submit_summary(qxg_summary, by=users.qxg_liaison)
    assert list(Summary.objects.filed()) == [qxg_summary]


def test_the_matrix_query_count_does_not_grow_with_summaries(client_for, tree, users, world):
    client = client_for(users.city_admin)
    url = reverse("dashboard:matrix", args=[world.campaign.pk])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    services.draft_summary(world.campaign, unit=tree.dafang, by=users.dafang_liaison)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_list_query_count_is_the_same_for_one_campaign_or_many(client_for, tree, users, world):
    client = client_for(users.qxg_liaison)
    url = reverse("summaries:index")
    services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for i in range(5):
        c = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title=f"活动{i}")
        services.draft_summary(c, unit=tree.qxg, by=users.qxg_liaison)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    # The world's campaign and the five; 另一个活动 and the county's own re-issue wait to be drafted.
    assert page.content.decode().count("打开总结") == 6
    assert page.content.decode().count('data-testid="draft-') == 2
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_editor_query_count_is_the_same_for_few_paragraphs_or_many(client_for, users, qxg_summary):
    client = client_for(users.qxg_liaison)
    url = reverse("summaries:detail", args=[qxg_summary.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    section = Section.objects.get(summary=qxg_summary, key="next")
    for i in range(10):
        services.add_paragraph(section, by=users.qxg_liaison, text=f"第{i}段。")
    services.add_section(qxg_summary, by=users.qxg_liaison, heading="主要做法")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert (
        page.content.decode().count('class="summary-para')
        == Paragraph.objects.filter(section__summary=qxg_summary).count()
    )
    assert len(many.captured_queries) == len(few.captured_queries)
