"""One 签收率: the board, the matrix, the issuer pages and their exports show the same figures for a
notice with a re-issue — the issuer's own by default, the one with the re-issue labelled 含转发 —
and a unit the notice was not sent to has no rate ("—", 未下发), never "0.0%"."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from jinguo.campaigns.models import Campaign, CampaignTarget
from jinguo.lib.rates import format_rate, rate, rate_cell
from jinguo.orgs.models import Org
from tests.excel import export_rows
from tests.factories import make_campaign, make_org

OWN = (3, 2, 66.7)  # the city's notice: 3 receipts, 2 signed
WITH_REISSUE = (5, 2, 40.0)  # plus 七星关区's re-issue to two townships, neither signed


def xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    return [tuple(r) for r in export_rows(response.content)]


def sign(campaign: Campaign, org: Org, user) -> None:
    CampaignTarget.objects.filter(campaign=campaign, org=org).update(signed_at=timezone.now(), signed_by=user)


@pytest.fixture
def notice(tree, users):
    """The city's notice to both counties and 七星关区's township (not to 办公室); 七星关区 re-issued
    it to its two townships."""
    second_town = make_org("七星关区洪山街道妇联", Org.Kind.TOWNSHIP, tree.qxg)
    campaign = make_campaign(
        issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang, tree.qxg_town], title="三八维权周"
    )
    reissue = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town, second_town], title="转发")
    Campaign.objects.filter(pk=reissue.pk).update(parent=campaign)
    sign(campaign, tree.qxg, users.qxg_liaison)
    sign(campaign, tree.qxg_town, users.qxg_liaison)
    return SimpleNamespace(campaign=campaign, reissue=reissue)


def test_one_rate_board_matrix_issuer_page_and_exports_agree(tree, users, client_for, notice):
    client = client_for(users.city_admin)
    campaign = notice.campaign

    board = client.get(reverse("dashboard:board"), {"campaign": campaign.pk})
    total = board.context["board"].total
    assert (total.targets, total.signed, total.signed_rate) == OWN
    assert (total.family_targets, total.family_signed, total.family_signed_rate) == WITH_REISSUE
    board_html = board.content.decode()
    assert 'data-testid="stat-signed-rate">66.7%<' in board_html
    assert "含转发 2/5（40.0%）" in board_html

    board_xlsx = xlsx(client.get(reverse("dashboard:board_export"), {"campaign": campaign.pk}))
    header, total_line = board_xlsx[0], board_xlsx[-1]
    assert total_line[0] == "合计"
    cells = ("下发单位数", "已签收", "签收率（%）", "含转发：下发单位数", "含转发：已签收", "含转发：签收率（%）")
    assert tuple(total_line[header.index(c)] for c in cells) == (*OWN, *WITH_REISSUE)

    matrix = client.get(reverse("dashboard:matrix", args=[campaign.pk]))
    figures = matrix.context["figures"]
    assert (figures.own.total, figures.own.signed, figures.own.signed_rate) == OWN
    assert (figures.with_reissues.total, figures.with_reissues.signed, figures.with_reissues.signed_rate) == (
        WITH_REISSUE
    )
    matrix_html = matrix.content.decode()
    assert 'data-testid="stat-signed-rate">66.7%<' in matrix_html
    assert "含转发 2/5（40.0%）" in matrix_html

    matrix_xlsx = xlsx(client.get(reverse("dashboard:matrix_export", args=[campaign.pk])))
    signed = matrix_xlsx[0].index("是否签收")
    assert (len(matrix_xlsx) - 1, sum(r[signed] == "已签收" for r in matrix_xlsx[1:])) == OWN[:2]

    issuer_html = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert 'data-testid="signed-rate">66.7%<' in issuer_html
    assert 'data-testid="signed">2/3<' in issuer_html
    assert "含转发 2/5（40.0%）" in issuer_html

    issued_html = client.get(reverse("campaigns:issued")).content.decode()
    assert '<td class="text-end">2/3</td>' in issued_html


def test_one_rate_the_reissuing_county_sees_the_same_pair_for_its_subtree(tree, users, client_for, notice):
    client = client_for(users.qxg_admin)

    total = client.get(reverse("dashboard:board"), {"campaign": notice.campaign.pk}).context["board"].total
    figures = client.get(reverse("dashboard:matrix", args=[notice.campaign.pk])).context["figures"]

    # The city's notice reached 七星关区 and its township (both signed); the re-issue two townships.
    assert (total.targets, total.signed, total.family_targets, total.family_signed) == (2, 2, 4, 2)
    assert (figures.own.total, figures.own.signed, figures.with_reissues.total, figures.with_reissues.signed) == (
        2, 2, 4, 2,
    )  # fmt: skip


def test_one_rate_with_reissue_links_list_the_counted_receipts(tree, users, client_for, notice):
    client = client_for(users.city_admin)
    params = {"campaign": notice.campaign.pk, "unit": tree.qxg.pk}

    own = client.get(reverse("dashboard:records"), params | {"kind": "targets"})
    every = client.get(reverse("dashboard:records"), params | {"kind": "targets", "reissues": "1"})

    assert own.context["page"].paginator.count == 2
    assert every.context["page"].paginator.count == 4
    assert every.context["title"] == "下发单位（签收单）（含转发）"
    board_html = client.get(reverse("dashboard:board"), {"campaign": notice.campaign.pk}).content.decode()
    assert f"unit={tree.qxg.pk}&kind=signed&reissues=1" in board_html


def test_one_rate_units_the_notice_was_not_sent_to_are_not_failing(tree, users, client_for, notice):
    response = client_for(users.city_admin).get(reverse("dashboard:board"), {"campaign": notice.campaign.pk})

    rows = {r.key: r for r in response.context["board"].rows}
    office, own = rows[str(tree.office.pk)], rows["own"]
    assert (office.targets, office.signed_rate, office.approved_rate) == (0, None, None)
    assert (own.targets, own.signed_rate) == (0, None)
    html = response.content.decode()
    office_row = html.split(f'data-testid="board-row-{tree.office.pk}"')[1].split("</tr>")[0]
    assert 'data-testid="signed-rate">—<' in office_row
    assert "未下发" in office_row
    assert "0.0%" not in office_row
    charts = response.context["charts"]
    assert charts["signed_rate"][charts["units"].index(tree.office.display_name)] is None  # no bar, not a 0 % one
    exported = xlsx(
        client_for(users.city_admin).get(reverse("dashboard:board_export"), {"campaign": notice.campaign.pk})
    )
    office_line = next(r for r in exported if r[0] == "办公室")
    assert office_line[exported[0].index("签收率（%）")] == "—"


def test_one_rate_issuer_page_of_a_notice_sent_nowhere_shows_a_dash(tree, users, client_for):
    empty = make_campaign(issuer=tree.city, by=users.city_admin, targets=[])

    html = client_for(users.city_admin).get(reverse("campaigns:detail", args=[empty.pk])).content.decode()

    assert 'data-testid="signed-rate">—<' in html
    assert "0.0%" not in html


def test_rate_helper_formats_nothing_as_a_dash():
    assert (rate(0, 0), rate(1, 3), rate(5, 4)) == (None, 33.3, 100.0)
    assert (format_rate(None), format_rate(0.0), format_rate(66.7)) == ("—", "0.0%", "66.7%")
    assert (rate_cell(None), rate_cell(40.0)) == ("—", 40.0)


def test_receipt_figures_refuse_a_unit_outside_the_viewer(tree, users, notice):
    from jinguo.campaigns.selectors import receipt_figures

    with pytest.raises(ValueError):
        receipt_figures(user=users.dafang_admin, campaign=notice.campaign, within=tree.qxg)
