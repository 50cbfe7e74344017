"""Issue 16 §4: the action endpoints come from one mapping over the transition table. Every action of
the table has its operation; the paths, methods, payloads and answers stay what clients rely on: the
action part of the OpenAPI document equals the snapshot taken before the endpoints were generated
(tests/appeals/openapi_actions.json; update it only for a deliberate change of the API)."""

import json
from pathlib import Path

from otklik.api import api
from otklik.appeals.api import ACTION_ENDPOINTS
from otklik.appeals.lifecycle import TABLE, Action

SNAPSHOT = Path(__file__).with_name("openapi_actions.json")
PREFIX = "/api/appeals/{appeal_id}/"


def _document() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema(), sort_keys=True, ensure_ascii=False))


def test_every_action_of_the_table_has_one_operation():
    table_actions = {str(row.action) for row in TABLE.values()}
    operations = {path.removeprefix(PREFIX) for path in _document()["paths"] if path.startswith(PREFIX)}
    assert operations == table_actions
    staff = [str(endpoint.action) for endpoint in ACTION_ENDPOINTS]
    assert len(staff) == len(set(staff)) and set(staff) == table_actions - {Action.RATE, Action.COMMENT}


def test_the_action_operations_are_what_clients_were_given():
    document = _document()
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    paths = {path: op for path, op in document["paths"].items() if path.startswith(PREFIX)}
    assert paths == snapshot["paths"]
    for name, schema in snapshot["schemas"].items():
        assert document["components"]["schemas"][name] == schema, name
