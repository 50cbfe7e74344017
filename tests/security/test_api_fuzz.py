"""Issue 11: the API fuzzed from its own OpenAPI document (schemathesis) with a staff session: no
server error and every answer in the documented shape. ``make test`` runs a few cases per operation;
``make fuzz`` (OTKLIK_FUZZ_EXAMPLES) runs many. The figures of the last long run: docs/security.md."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from otklik.accounts.models import Role
from tests import factories as f

EXAMPLES = int(os.environ.get("OTKLIK_FUZZ_EXAMPLES", "4"))


@pytest.fixture
def staff(db, region, client):
    org = f.organization("Администрация района", territory=f.territory("Район"))
    f.route(f.category("Дороги"), org)
    client.force_login(f.user("fuzz-coordinator", (Role.REGIONAL_COORDINATOR, org), (Role.COORDINATOR, org)))
    client.get("/workspace/")  # sets the CSRF cookie
    session, token = client.cookies["sessionid"].value, client.cookies["csrftoken"].value
    # The real WSGI handler closes the database connection after each request, which would end the
    # test's transaction on PostgreSQL; Django's test client detaches the same receivers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"cookies": {"sessionid": session, "csrftoken": token}, "headers": {"X-CSRFToken": token}}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _schema() -> schemathesis.schemas.BaseSchema:
    from otklik.wsgi import application

    # The document is built from the routers in memory: loading it needs no database.
    return schemathesis.openapi.from_wsgi("/api/openapi.json", application)


schema = _schema()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("OTKLIK_FUZZ_RANDOM") != "1",
          suppress_health_check=list(HealthCheck), database=None)
def test_the_api_keeps_its_contract_under_generated_input(case, staff):
    case.call_and_validate(**staff,
                           checks=[not_a_server_error, response_schema_conformance])
