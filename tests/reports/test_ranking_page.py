"""The ranking page and its export: shared ranks, and no 0.0 % for a unit whose reports wait."""

from __future__ import annotations

from django.urls import reverse

from tests.excel import export_rows
from tests.reports.conftest import adopted, rejected, submitted


def test_ranking_page_shares_ranks_and_shows_pending_as_pending(tree, users, town_users, client_for):
    adopted(users.qxg_liaison, users.city_reviewer)
    adopted(users.dafang_liaison, users.city_reviewer)  # 七星关区 and 大方县 tie: 1 of 1
    submitted(town_users["dafang_town"])  # pending: 大方县's rate stays 100 %
    rejected(users.qxg_liaison, users.city_reviewer)
    adopted(users.qxg_liaison, users.city_reviewer)  # 七星关区 2 of 3: first
    client = client_for(users.city_admin)

    response = client.get(reverse("reports:ranking"))

    html = response.content.decode()
    ranks = [cell.split("<")[0] for cell in html.split('data-testid="rank">')[1:]]
    rates = [cell.split("</td>")[0] for cell in html.split('data-testid="rate">')[1:]]
    assert [(r.rank, r.org.name) for r in response.context["page"]] == [
        (1, "七星关区妇联"),
        (2, "大方县妇联"),
        (3, "办公室"),
    ]
    assert ranks == ["1", "2", "3"]
    assert rates == ["66.7%", "100.0%", "—"]
    exported = [tuple(r) for r in export_rows(client.get(reverse("reports:ranking_export")).content)]
    assert exported[1:] == [
        (1, "七星关区妇联", 3, 2, 66.7, 1, 0),
        (2, "大方县妇联", 2, 1, 100, 0, 1),
        (3, "办公室", 0, 0, "—", 0, 0),
    ]


def test_ranking_page_a_unit_with_only_pending_reports_shares_the_last_rank(tree, users, client_for):
    adopted(users.dafang_liaison, users.city_reviewer)
    submitted(users.qxg_liaison)
    client = client_for(users.city_admin)

    response = client.get(reverse("reports:ranking"))

    assert [(r.rank, r.org.name) for r in response.context["page"]] == [
        (1, "大方县妇联"),
        (2, "七星关区妇联"),
        (2, "办公室"),
    ]
    html = response.content.decode()
    qxg_row = html.split("七星关区妇联")[1].split("</tr>")[0]
    assert "待审核" in qxg_row
    assert 'data-testid="rate">0.0%' not in html
    exported = [tuple(r) for r in export_rows(client.get(reverse("reports:ranking_export")).content)]
    assert exported[2] == (2, "七星关区妇联", 1, 0, "待审核", 0, 1)
