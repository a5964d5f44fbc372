"""Argument names every client takes: ASCII letters of accented ones (`größe` -> `grosse`, not
`gr_e`), and at most 64 characters with what `assign_names` may add, as Anthropic's API
requires of every tool's argument names (one name past it refuses the whole server's tools:
DocuSign's `allowPowerFormsAdminToAccessAllPowerFormEnvelopesMetadata`, BeezUP's
`amountExcludingTaxesAndExcludingCodePromoDiscountIncludingBillingPeriodDiscount`)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import shared_spec, shared_spec_names

from adaptgen.load import load_spec
from adaptgen.plan import plan
from adaptgen.plan.names import MAX_ARGUMENT_NAME, argument_name

CLIENT_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,64}")  # Anthropic's tool input property names


@pytest.mark.parametrize(
    ("api_name", "name"),
    [
        ("größe", "grosse"),
        ("prénom", "prenom"),
        ("Ar e Ventilação", "ar_e_ventilacao"),
        ("Ärger_Typ", "arger_typ"),
        ("Søknad", "soknad"),
        ("名前", "value"),
        ("DateCreated<", "date_created_before"),
        ("userId", "user_id"),
        ("1st", "n_1st"),
    ],
)
def test_an_argument_is_named_in_ascii(api_name, name):
    assert argument_name(api_name) == name


def test_a_long_name_is_shortened_readably():
    long = "amountExcludingTaxesAndExcludingCodePromoDiscountIncludingBillingPeriodDiscount"
    name = argument_name(long)
    assert len(name) <= MAX_ARGUMENT_NAME
    assert name.startswith("amount_") and name.endswith("_discount")


def test_every_argument_of_a_planned_spec_is_a_name_clients_take(tmp_path):
    fields = {
        "userId": {"type": "string"},
        "allowPowerFormsAdminToAccessAllPowerFormEnvelopesMetadataAndMoreWordsHere": {},
        "allowPowerFormsAdminToAccessAllPowerFormEnvelopesMetadataAndMoreWordsThere": {},
        "größe": {"type": "string"},
        "名前": {"type": "string"},
        "名字": {"type": "string"},
    }
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "D", "version": "1"},
        "servers": [{"url": "http://127.0.0.1:9"}],
        "paths": {
            "/users/{userId}": {
                "post": {
                    "operationId": "updateUser",
                    "parameters": [
                        {"name": "userId", "in": "path", "required": True, "schema": {}},
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"type": "object", "properties": fields}}
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    path = tmp_path / "d.json"
    path.write_text(json.dumps(spec))
    (tool,) = plan(load_spec(path), "d").api.tools
    names = [p.name for p in tool.upstream.params]
    assert len(set(names)) == len(names)
    assert all(CLIENT_NAME.fullmatch(n) for n in names), names
    assert set(tool.input_schema["properties"]) == set(names)
    # a header name that is not an HTTP token is left out (warned), as before
    assert {"grosse", "value", "body_value"} <= set(names)


@pytest.mark.parametrize("name", shared_spec_names())
def test_the_shared_specs_arguments_are_names_clients_take(name):
    for tool in plan(load_spec(shared_spec(name)), "shared").api.tools:
        bad = [n for n in tool.input_schema.get("properties", {}) if not CLIENT_NAME.fullmatch(n)]
        assert not bad, (tool.name, bad)
