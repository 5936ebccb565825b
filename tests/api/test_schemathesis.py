"""The API against its own OpenAPI schema: schemathesis generates requests for every operation
(valid ones, and invalid ones that must be refused with a documented 4xx) and checks each answer.

The requests go straight into the WSGI application (no server) with a real token of 七星关区's
admin; 大方县, the sibling county, has data of its own that no answer may ever contain.
"""

import json
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jinguo.accounts.services import create_api_token
from jinguo.campaigns.models import CampaignTarget, Plan
from tests.factories import make_campaign, make_plan

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SIBLING_SECRETS = ["大方县", "大方镇", "大方县机密活动", "13900139000", "139****9000"]


@pytest.fixture
def seeded(tree, users):
    """七星关区's own campaign and plan, and the sibling 大方县's, which must never show."""
    own = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town], title="七星关区维权周")
    make_plan(CampaignTarget.objects.get(campaign=own))
    secret = make_campaign(
        issuer=tree.dafang, by=users.dafang_admin, targets=[tree.dafang_town], title="大方县机密活动"
    )
    secret_plan = make_plan(CampaignTarget.objects.get(campaign=secret), status=Plan.Status.APPROVED)
    Plan.objects.filter(pk=secret_plan.pk).update(contact_phone="13900139000", reviewed_at=timezone.now())
    key = create_api_token(user=users.qxg_admin, name="接口测试")[1]
    # The ids worth asking for: ours (200) and the sibling's (404), besides whatever is generated.
    ids = {
        "org_id": [tree.qxg.pk, tree.qxg_town.pk, tree.dafang.pk, tree.dafang_town.pk],
        "campaign_id": [own.pk, secret.pk],
        "plan_id": [Plan.objects.get(target__campaign=own).pk, secret_plan.pk],
    }
    return SimpleNamespace(key=key, ids=ids)


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, on the test's database connection.

    Not jinguo.wsgi: that adds only the deployment's SECRET_KEY guard, which refuses to start in CI's
    PostgreSQL run. And, as Django's own test client does, each request leaves the connection open:
    otherwise request_finished closes it in the middle of the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(seeded, wsgi_app):
    config = schemathesis.Config.from_dict(
        {
            "dictionaries": {name: {"values": values} for name, values in seeded.ids.items()},
            "parameters": {f"path.{name}": {"dictionary": name, "probability": 0.8} for name in seeded.ids},
            "generation": {"max-examples": 30},
        }
    )
    return schemathesis.openapi.from_wsgi(
        "/api/openapi.json", wsgi_app, config=config, headers={"Authorization": f"Bearer {seeded.key}"}
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
# Reproducible in CI: the same cases on every run, and no example database left in the work tree.
@settings(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_schema(case, seeded, no_scope):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {seeded.key}"}, checks=CHECKS)
    # Decoded: the JSON escapes every Chinese character (\uXXXX), so the raw text would never match.
    text = json.dumps(response.json(), ensure_ascii=False) if response.status_code != 405 else response.text
    leaked = [secret for secret in SIBLING_SECRETS if secret in text]
    assert leaked == [], (case.path, case.query, leaked)
