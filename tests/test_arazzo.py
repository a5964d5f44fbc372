"""Arazzo 1.0 documents read into composite tools (ChainSpec), and bad ones located by line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from adaptgen.errors import InputError
from adaptgen.hints.chains import ChainSpec, ChainStep, StepParameter, SuccessCriterion
from adaptgen.load import load_spec
from adaptgen.load.arazzo import ArazzoWorkflows, load_arazzo

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "arazzo" / "crm.arazzo.yaml"

# Eight lines: the workflows of the documents below start on line 9.
HEADER = """\
arazzo: 1.0.1
info:
  title: CRM workflows
  version: 1.0.0
sourceDescriptions:
  - name: crm
    url: ../specs/crm.yaml
    type: openapi
"""


@pytest.fixture(scope="module")
def crm_ids() -> set[str]:
    """The operationIds of the sandbox CRM spec."""
    spec = load_spec(ROOT / "specs" / "crm.yaml")
    return {
        op["operationId"]
        for item in spec.document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path, so locations read `wf.arazzo.yaml:line:col`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(directory: Path, body: str, *, header: str = HEADER, name: str = "wf.arazzo.yaml"):
    path = directory / name
    path.write_text(header + textwrap.dedent(body))
    return path


def load(directory: Path, body: str, **kwargs) -> ArazzoWorkflows:
    return load_arazzo(write(directory, body), **kwargs)


def error(directory: Path, body: str, **kwargs) -> str:
    """`file:line:col (#pointer): message` of the InputError loading `body` raises."""
    with pytest.raises(InputError) as exc:
        load(directory, body, **kwargs)
    return str(exc.value)


# ---------------------------------------------------------------------------- the CRM document


def test_crm_document_loads_into_chain_specs(crm_ids):
    result = load_arazzo(FIXTURE, spec_operation_ids=crm_ids)

    assert result.source.path == FIXTURE
    assert list(result.chains) == ["openDealsForContactEmail", "companyOverview"]
    assert result.chains["openDealsForContactEmail"] == ChainSpec(
        description="Open deals of the contact with this email.\n\nFinds the contact by email "
        "(search returns ids only) and lists the deals whose primary contact they are, open "
        "ones only.",
        inputs={
            "type": "object",
            "required": ["email"],
            "properties": {
                "email": {
                    "type": "string",
                    "format": "email",
                    "description": "The contact's email address (exact or a distinctive part "
                    "of it).",
                }
            },
        },
        steps=[
            ChainStep(
                id="findContact",
                call="searchRecords",  # the $sourceDescriptions.crm. qualifier is stripped
                parameters=[
                    StepParameter(name="q", in_="query", value="$inputs.email"),
                    StepParameter(name="type", in_="query", value="contact"),
                    StepParameter(name="limit", in_="query", value=1),
                ],
                success=[
                    SuccessCriterion(condition="$statusCode == 200"),
                    SuccessCriterion(
                        condition="$.ids[0]", context="$response.body", type="jsonpath"
                    ),
                ],
                outputs={
                    "contactId": "$response.body#/ids/0",
                    "matches": "$response.body#/total",
                },
            ),
            ChainStep(
                id="openDeals",
                call="listContactDeals",
                parameters=[
                    StepParameter(
                        name="contactId",
                        in_="path",
                        value="$steps.findContact.outputs.contactId",
                    ),
                    StepParameter(name="status", in_="query", value="open"),
                    StepParameter(name="per_page", in_="query", value=100),  # a component
                ],
                success=[SuccessCriterion(condition="$statusCode == 200")],
                outputs={
                    "deals": "$response.body#/data",
                    "total": "$response.body#/paging/total_count",
                },
            ),
        ],
        output={
            "contactId": "$steps.findContact.outputs.contactId",
            "deals": "$steps.openDeals.outputs.deals",
            "openDealCount": "$steps.openDeals.outputs.total",
        },
        source="arazzo:crm.arazzo.yaml#openDealsForContactEmail",
    )
    assert result.chains["companyOverview"] == ChainSpec(
        description="A company with its contacts and its main contact's recent activities.",
        # $ref to components/inputs inlined, nested ones too (siblings of $ref kept).
        inputs={
            "type": "object",
            "required": ["companyId"],
            "properties": {
                "companyId": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Numeric company id (e.g. 201) or legacy id (e.g. ACC-120394).",
                },
                "since": {
                    "type": "string",
                    "format": "date",
                    "description": "Only activities on or after this date.",
                },
            },
        },
        steps=[
            ChainStep(
                id="company",
                call="getCompany",
                parameters=[StepParameter(name="companyId", in_="path", value="$inputs.companyId")],
                success=[SuccessCriterion(condition="$statusCode == 200")],
                outputs={"company": "$response.body#/data"},
            ),
            ChainStep(
                id="contacts",
                call="listCompanyContacts",
                parameters=[
                    StepParameter(name="companyId", in_="path", value="$inputs.companyId"),
                    # the reference's value overrides the component's 100
                    StepParameter(name="per_page", in_="query", value=50),
                ],
                outputs={
                    "contacts": "$response.body#/data",
                    "mainContactId": "$response.body#/data/0/id",
                },
            ),
            ChainStep(
                id="activities",
                call="listActivities",
                parameters=[
                    StepParameter(
                        name="contact_id",
                        in_="query",
                        value="$steps.contacts.outputs.mainContactId",
                    ),
                    StepParameter(name="since", in_="query", value="$inputs.since"),
                    StepParameter(name="per_page", in_="query", value=100),
                ],
                success=[SuccessCriterion(condition="$statusCode == 200")],
                outputs={"activities": "$response.body#/data"},
            ),
        ],
        output={
            "company": "$steps.company.outputs.company",
            "contacts": "$steps.contacts.outputs.contacts",
            "recentActivities": "$steps.activities.outputs.activities",
        },
        source="arazzo:crm.arazzo.yaml#companyOverview",
    )


def test_crm_document_warns_about_retry_and_early_end(crm_ids, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = load_arazzo(FIXTURE, spec_operation_ids=crm_ids)
    assert [str(w) for w in result.warnings] == [
        "tests/fixtures/arazzo/crm.arazzo.yaml:50:13 (#/workflows/0/steps/0/onFailure/0): "
        "onFailure action 'retryWhenBusy' (retry up to 3 times after 1s) is ignored: the chain "
        "runtime does not retry steps yet, a failed step ends the chain",
        "tests/fixtures/arazzo/crm.arazzo.yaml:99:13 (#/workflows/1/steps/1/onSuccess/0): "
        "onSuccess action 'noContacts' (end) is ignored: adaptgen runs every step of the "
        "chain, in order",
    ]


def test_every_fixture_operation_is_a_crm_operation(crm_ids):
    result = load_arazzo(FIXTURE, spec_operation_ids=crm_ids)
    calls = {step.call for chain in result.chains.values() for step in chain.steps}
    assert calls == {
        "searchRecords",
        "listContactDeals",
        "getCompany",
        "listCompanyContacts",
        "listActivities",
    }


# ---------------------------------------------------------------------------- document level


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.1.0", "not supported: Arazzo '1.1.0'; adaptgen reads Arazzo 1.0.x"),
        ("'2.0'", "not supported: Arazzo '2.0'; adaptgen reads Arazzo 1.0.x"),
        ("1.0", "arazzo must be a string such as '1.0.1', not a number 1.0 (quote it)"),
    ],
)
def test_bad_version(here, version, message):
    header = HEADER.replace("arazzo: 1.0.1", f"arazzo: {version}")
    path = write(here, "workflows: []\n", header=header)
    with pytest.raises(InputError) as exc:
        load_arazzo(path)
    assert str(exc.value) == f"wf.arazzo.yaml:1:1 (#/arazzo): {message}"


def test_missing_workflows(here):
    assert error(here, "") == "wf.arazzo.yaml:1:1 (#): Arazzo document needs 'workflows'"


def test_empty_workflows(here):
    assert error(here, "workflows: []\n") == (
        "wf.arazzo.yaml:9:1 (#/workflows): workflows must be a non-empty list"
    )


def test_info_needs_a_version(here):
    header = HEADER.replace("  version: 1.0.0\n", "")
    path = write(here, "workflows: []\n", header=header)
    with pytest.raises(InputError) as exc:
        load_arazzo(path)
    assert str(exc.value) == "wf.arazzo.yaml:2:1 (#/info): info needs 'version'"


def test_unknown_top_level_key_did_you_mean(here):
    header = HEADER.replace("sourceDescriptions:", "sourceDescription:")
    path = write(here, "workflows: []\n", header=header)
    with pytest.raises(InputError) as exc:
        load_arazzo(path)
    assert str(exc.value) == (
        "wf.arazzo.yaml:5:1 (#/sourceDescription): unknown key 'sourceDescription' in "
        "Arazzo document (did you mean 'sourceDescriptions'?)"
    )


def test_more_than_one_openapi_source_is_not_supported(here):
    header = HEADER + "  - name: billing\n    url: billing.yaml\n    type: openapi\n"
    path = write(here, "workflows: []\n", header=header)
    with pytest.raises(InputError) as exc:
        load_arazzo(path)
    assert str(exc.value) == (
        "wf.arazzo.yaml:5:1 (#/sourceDescriptions): not supported: adaptgen builds the API of "
        "exactly one OpenAPI description, so the document must list one source description "
        "of type openapi (found 'crm', 'billing')"
    )


def test_json_documents_are_located_too(here):
    path = here / "wf.arazzo.json"
    path.write_text(
        '{\n  "arazzo": "1.0.0",\n  "info": {"title": "t", "version": "1"},\n'
        '  "sourceDescriptions": [{"name": "crm", "url": "crm.yaml", "type": "openapi"}],\n'
        '  "workflows": [\n    {"workflowId": "w", "steps": []}\n  ]\n}\n'
    )
    with pytest.raises(InputError) as exc:
        load_arazzo(path)
    assert str(exc.value) == (
        "wf.arazzo.json:6:34 (#/workflows/0/steps): workflow 'w' needs at least one step"
    )


# ---------------------------------------------------------------------------- workflows and steps


def test_duplicate_step_id(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: twice
            steps:
              - stepId: get
                operationId: getContact
              - stepId: get
                operationId: getCompany
        """,
    )
    assert message == (
        "wf.arazzo.yaml:14:9 (#/workflows/0/steps/1/stepId): duplicate stepId 'get' in "
        "workflow 'twice'"
    )


def test_duplicate_workflow_id(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps: [{stepId: a, operationId: getContact}]
          - workflowId: w
            steps: [{stepId: a, operationId: getContact}]
        """,
    )
    assert message == "wf.arazzo.yaml:12:5 (#/workflows/1/workflowId): duplicate workflowId 'w'"


def test_unknown_operation_id_did_you_mean(here, crm_ids):
    message = error(
        here,
        """\
        workflows:
          - workflowId: deals
            steps:
              - stepId: deals
                operationId: listContactDeal
        """,
        spec_operation_ids=crm_ids,
    )
    assert message == (
        "wf.arazzo.yaml:13:9 (#/workflows/0/steps/0/operationId): unknown operationId "
        "'listContactDeal' (did you mean 'listContactDeals'?)"
    )


def test_operation_ids_are_not_checked_without_the_spec(here):
    result = load(
        here,
        """\
        workflows:
          - workflowId: w
            steps: [{stepId: a, operationId: notInAnySpec}]
        """,
    )
    assert result.chains["w"].steps[0].call == "notInAnySpec"


def test_unknown_key_did_you_mean(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: a
                operationID: getContact
        """,
    )
    assert message == (
        "wf.arazzo.yaml:13:9 (#/workflows/0/steps/0/operationID): unknown key 'operationID' "
        "in step (did you mean 'operationId'?)"
    )


def test_extensions_are_allowed(here):
    result = load(
        here,
        """\
        workflows:
          - workflowId: w
            x-owner: sales
            steps: [{stepId: a, operationId: getContact, x-note: fine}]
        """,
    )
    assert [s.id for s in result.chains["w"].steps] == ["a"]


def test_operation_path_is_not_supported(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: a
                operationPath: '{$sourceDescriptions.crm.url}#/paths/~1contacts/get'
        """,
    )
    assert message == (
        "wf.arazzo.yaml:13:9 (#/workflows/0/steps/0/operationPath): not supported: "
        "operationPath; refer to the operation by its operationId"
    )


def test_sub_workflow_steps_are_not_supported(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: inner
            steps: [{stepId: a, operationId: getContact}]
          - workflowId: outer
            steps:
              - stepId: run
                workflowId: inner
        """,
    )
    assert message.startswith(
        "wf.arazzo.yaml:15:9 (#/workflows/1/steps/0/workflowId): not supported: a step that "
        "runs another workflow"
    )


def test_operation_of_another_source_is_not_supported(here):
    header = HEADER + "  - name: shared\n    url: shared.arazzo.yaml\n    type: arazzo\n"
    path = write(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: a
                operationId: $sourceDescriptions.shared.getContact
        """,
        header=header,
    )
    with pytest.raises(InputError) as exc:
        load_arazzo(path)
    assert str(exc.value) == (
        "wf.arazzo.yaml:16:9 (#/workflows/0/steps/0/operationId): not supported: operations "
        "of source description 'shared'; adaptgen builds the API of 'crm'"
    )


def test_unknown_source_in_a_qualified_operation_id(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: a
                operationId: $sourceDescriptions.cmr.getContact
        """,
    )
    assert message == (
        "wf.arazzo.yaml:13:9 (#/workflows/0/steps/0/operationId): no source description "
        "'cmr' (did you mean 'crm'?)"
    )


def test_description_falls_back_to_the_workflow_id(here):
    result = load(
        here,
        """\
        workflows:
          - workflowId: getOne
            steps: [{stepId: a, operationId: getContact}]
        """,
    )
    chain = result.chains["getOne"]
    assert chain.description == "Run the getOne workflow."
    assert chain.inputs == {} and chain.output is None and chain.name is None
    assert chain.source == "arazzo:wf.arazzo.yaml#getOne"


# ---------------------------------------------------------------------------- parameters


def test_parameter_needs_in_for_an_operation(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: a
                operationId: getContact
                parameters:
                  - name: contactId
                    value: '1001'
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:13 (#/workflows/0/steps/0/parameters/0): parameter 'contactId' "
        "needs 'in' (path, query, header or cookie): Arazzo requires it on steps that call "
        "an operation"
    )


def test_bad_parameter_location_did_you_mean(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: a
                operationId: listContacts
                parameters:
                  - {name: page, in: querry, value: 1}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:26 (#/workflows/0/steps/0/parameters/0/in): parameter 'in' must be "
        "path, query, header or cookie, not 'querry' (did you mean 'query'?)"
    )


def test_workflow_parameters_apply_to_every_step_and_steps_override_them(here):
    result = load(
        here,
        """\
        workflows:
          - workflowId: w
            parameters:
              - {name: X-Request-Id, in: header, value: agent}
              - reference: $components.parameters.perPage
            steps:
              - stepId: a
                operationId: listContacts
              - stepId: b
                operationId: listCompanies
                parameters:
                  - {name: per_page, in: query, value: 5}
        components:
          parameters:
            perPage: {name: per_page, in: query, value: 100}
        """,
    )
    a, b = result.chains["w"].steps
    assert a.parameters == [
        StepParameter(name="X-Request-Id", in_="header", value="agent"),
        StepParameter(name="per_page", in_="query", value=100),
    ]
    assert b.parameters == [
        StepParameter(name="X-Request-Id", in_="header", value="agent"),
        StepParameter(name="per_page", in_="query", value=5),
    ]


def test_unknown_component_reference_did_you_mean(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: a
                operationId: listContacts
                parameters:
                  - reference: $components.parameters.per_page
        components:
          parameters:
            perPage: {name: per_page, in: query, value: 100}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:13 (#/workflows/0/steps/0/parameters/0/reference): no component "
        "parameters.per_page (did you mean 'perPage'?)"
    )


def test_reference_to_the_wrong_kind_of_component(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: a
                operationId: listContacts
                parameters:
                  - reference: $components.failureActions.retry
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:13 (#/workflows/0/steps/0/parameters/0/reference): reference must "
        "be $components.parameters.<name>, not '$components.failureActions.retry'"
    )


def test_json_ref_to_a_component_parameter_is_resolved_too(here):
    result = load(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: a
                operationId: listContacts
                parameters:
                  - $ref: '#/components/parameters/perPage'
        components:
          parameters:
            perPage: {name: per_page, in: query, value: 100}
        """,
    )
    assert result.chains["w"].steps[0].parameters == [
        StepParameter(name="per_page", in_="query", value=100)
    ]


def test_component_parameter_expressions_are_checked_where_written(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            inputs:
              type: object
              properties:
                contactId: {type: string}
            steps:
              - stepId: a
                operationId: getContact
                parameters:
                  - reference: $components.parameters.contact
        components:
          parameters:
            contact: {name: contactId, in: path, value: $inputs.contact}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:22:42 (#/components/parameters/contact/value): $inputs.contact is not "
        "an input of workflow 'w' (did you mean 'contactId'?)"
    )


# ---------------------------------------------------------------------------- expressions


def test_forward_step_reference(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: deals
                operationId: listContactDeals
                parameters:
                  - name: contactId
                    in: path
                    value: $steps.later.outputs.contactId
              - stepId: later
                operationId: searchRecords
                outputs:
                  contactId: $response.body#/ids/0
        """,
    )
    assert message == (
        "wf.arazzo.yaml:17:13 (#/workflows/0/steps/0/parameters/0/value): $steps.later refers "
        "to a later step: steps run in order, so only the outputs of earlier steps exist here"
    )


def test_unknown_step_and_unknown_output(here):
    body = """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                outputs:
                  contactId: $response.body#/ids/0
              - stepId: deals
                operationId: listContactDeals
                parameters:
                  - name: contactId
                    in: path
                    value: $steps.{ref}
        """
    assert error(here, body.replace("{ref}", "fnd.outputs.contactId")) == (
        "wf.arazzo.yaml:21:13 (#/workflows/0/steps/1/parameters/0/value): $steps.fnd: no step "
        "'fnd' in workflow 'w' (did you mean 'find'?)"
    )
    assert error(here, body.replace("{ref}", "find.outputs.contactID")) == (
        "wf.arazzo.yaml:21:13 (#/workflows/0/steps/1/parameters/0/value): step 'find' has no "
        "output 'contactID' (did you mean 'contactId'?)"
    )


def test_unknown_input(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            inputs:
              type: object
              properties:
                email: {type: string}
            steps:
              - stepId: find
                operationId: searchRecords
                parameters:
                  - {name: q, in: query, value: $inputs.x}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:19:34 (#/workflows/0/steps/0/parameters/0/value): $inputs.x is not an "
        "input of workflow 'w'"
    )


def test_expressions_embedded_in_strings_and_conditions_are_checked(here):
    body = """\
        workflows:
          - workflowId: w
            inputs:
              type: object
              properties:
                topic: {type: string}
            steps:
              - stepId: find
                operationId: searchRecords
                parameters:
                  - {name: q, in: query, value: 'about {$inputs.{name}}'}
                successCriteria:
                  - condition: $inputs.{name} != ''
        """
    assert load(here, body.replace("{name}", "topic")).chains["w"].steps[0].parameters[0].value == (
        "about {$inputs.topic}"
    )
    assert error(here, body.replace("{name}", "topc", 1)) == (
        "wf.arazzo.yaml:19:34 (#/workflows/0/steps/0/parameters/0/value): $inputs.topc is not "
        "an input of workflow 'w' (did you mean 'topic'?)"
    )
    condition = body.replace("'about {$inputs.{name}}'", "x").replace("{name}", "tpic")
    assert error(here, condition) == (
        "wf.arazzo.yaml:21:13 (#/workflows/0/steps/0/successCriteria/0/condition): $inputs.tpic "
        "is not an input of workflow 'w' (did you mean 'topic'?)"
    )


def test_a_step_cannot_read_its_own_outputs(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                outputs:
                  first: $response.body#/ids/0
                  again: $steps.find.outputs.first
        """,
    )
    assert message == (
        "wf.arazzo.yaml:16:11 (#/workflows/0/steps/0/outputs/again): $steps.find is this step; "
        "use $response here (a step can only read the outputs of earlier steps)"
    )


def test_dotted_response_body_gets_a_pointer_hint(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                outputs:
                  total: $response.body.total
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:11 (#/workflows/0/steps/0/outputs/total): use a JSON pointer into "
        "the body: $response.body#/total, not '$response.body.total'"
    )


def test_unsupported_expression_root(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                parameters:
                  - {name: q, in: query, value: $url}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:34 (#/workflows/0/steps/0/parameters/0/value): not supported: runtime "
        "expression $url; adaptgen chains evaluate $inputs, $steps, $response.body, "
        "$response.header and $statusCode"
    )


def test_response_is_not_available_in_parameters_or_workflow_outputs(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
            outputs:
              code: $statusCode
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:7 (#/workflows/0/outputs/code): $statusCode only means something in "
        "a step's outputs and criteria"
    )


def test_jsonpath_step_outputs_are_accepted_and_checked(here):
    body = """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                outputs:
                  ids: {path}
        """
    result = load(here, body.replace("{path}", "$.ids[*]"))
    assert result.chains["w"].steps[0].outputs == {"ids": "$.ids[*]"}
    assert error(here, body.replace("{path}", "'$.ids[?'")).startswith(
        "wf.arazzo.yaml:15:11 (#/workflows/0/steps/0/outputs/ids): invalid JSONPath '$.ids[?'"
    )


# ---------------------------------------------------------------------------- criteria


def test_criteria_types(here):
    result = load(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                successCriteria:
                  - condition: $statusCode == 200
                  - {context: $statusCode, condition: '^20[01]$', type: regex}
                  - context: $response.body
                    condition: $.ids[0]
                    type: jsonpath
                  - context: $response.body
                    condition: $.ids[0]
                    type: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}
        """,
    )
    assert result.chains["w"].steps[0].success == [
        SuccessCriterion(condition="$statusCode == 200"),
        SuccessCriterion(condition="^20[01]$", context="$statusCode", type="regex"),
        SuccessCriterion(condition="$.ids[0]", context="$response.body", type="jsonpath"),
        SuccessCriterion(condition="$.ids[0]", context="$response.body", type="jsonpath"),
    ]


def test_xpath_criteria_are_not_supported(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                successCriteria:
                  - {context: $response.body, condition: /ids, type: xpath}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:56 (#/workflows/0/steps/0/successCriteria/0/type): not supported: "
        "xpath criteria (adaptgen chains read JSON)"
    )


def test_typed_criterion_needs_a_context(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                successCriteria:
                  - {condition: '$.ids[0]', type: jsonpath}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:13 (#/workflows/0/steps/0/successCriteria/0): a jsonpath criterion "
        "needs a context (e.g. $response.body)"
    )


# ---------------------------------------------------------------------------- actions


def test_goto_and_retry_are_ignored_with_a_warning(here):
    result = load(
        here,
        """\
        workflows:
          - workflowId: w
            failureActions:
              - {name: again, type: retry, retryLimit: 2}
            steps:
              - stepId: find
                operationId: searchRecords
                onSuccess:
                  - {name: next, type: goto, stepId: deals}
                  - {name: back, type: goto, stepId: find}
                onFailure:
                  - {name: stop, type: end}
                  - {name: other, type: goto, stepId: deals}
                  - {name: viaStep, type: retry, stepId: deals}
              - stepId: deals
                operationId: listDeals
                onSuccess:
                  - {name: done, type: end}
        """,
    )
    assert [str(w) for w in result.warnings] == [
        "wf.arazzo.yaml:12:9 (#/workflows/0/failureActions/0): failureActions action 'again' "
        "(retry up to 2 times) is ignored: the chain runtime does not retry steps yet, a "
        "failed step ends the chain",
        "wf.arazzo.yaml:18:13 (#/workflows/0/steps/0/onSuccess/1): onSuccess action 'back' "
        "(goto step 'find') is ignored: chains have no jumps, the next step runs",
        "wf.arazzo.yaml:21:13 (#/workflows/0/steps/0/onFailure/1): onFailure action 'other' "
        "(goto step 'deals') is ignored: chains have no jumps, the chain fails",
        "wf.arazzo.yaml:22:13 (#/workflows/0/steps/0/onFailure/2): onFailure action 'viaStep' "
        "(retry after step 'deals') is ignored: not supported, a failed step ends the chain",
    ]
    assert [s.id for s in result.chains["w"].steps] == ["find", "deals"]


def test_goto_to_an_unknown_step(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                onSuccess:
                  - {name: next, type: goto, stepId: deal}
              - stepId: deals
                operationId: listDeals
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:38 (#/workflows/0/steps/0/onSuccess/0/stepId): no step 'deal' in "
        "workflow 'w' (did you mean 'deals'?)"
    )


def test_reusable_failure_action(here):
    result = load(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                onFailure:
                  - reference: $components.failureActions.busy
        components:
          failureActions:
            busy: {name: busy, type: retry, retryAfter: 0.5}
        """,
    )
    assert [str(w) for w in result.warnings] == [
        "wf.arazzo.yaml:15:13 (#/workflows/0/steps/0/onFailure/0): onFailure action 'busy' "
        "(retry up to 1 time after 0.5s) is ignored: the chain runtime does not retry steps "
        "yet, a failed step ends the chain"
    ]


def test_depends_on_is_ignored_with_a_warning(here):
    result = load(
        here,
        """\
        workflows:
          - workflowId: first
            steps: [{stepId: a, operationId: login}]
          - workflowId: second
            dependsOn: [first]
            steps: [{stepId: a, operationId: getContact}]
        """,
    )
    assert list(result.chains) == ["first", "second"]
    assert [str(w) for w in result.warnings] == [
        "wf.arazzo.yaml:13:17 (#/workflows/1/dependsOn/0): dependsOn 'first' is ignored: each "
        "workflow is its own tool and adaptgen does not run other workflows first (say so in "
        "the description if it matters)"
    ]


# ---------------------------------------------------------------------------- inputs


def test_inputs_ref_to_a_missing_component(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            inputs:
              $ref: '#/components/inputs/contactInput'
            steps: [{stepId: a, operationId: getContact}]
        components:
          inputs:
            contactInputs: {type: object, properties: {id: {type: string}}}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:12:7 (#/workflows/0/inputs/$ref): $ref '#/components/inputs/"
        "contactInput' points at nothing (did you mean 'contactInputs'?)"
    )


def test_circular_input_ref(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            inputs:
              $ref: '#/components/inputs/node'
            steps: [{stepId: a, operationId: getContact}]
        components:
          inputs:
            node:
              type: object
              properties:
                child: {$ref: '#/components/inputs/node'}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:19:17 (#/components/inputs/node/properties/child/$ref): circular $ref "
        "'#/components/inputs/node': an input schema cannot refer to itself"
    )


def test_problems_in_referenced_inputs_point_at_the_component(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            inputs: {$ref: '#/components/inputs/find'}
            steps: [{stepId: a, operationId: searchRecords}]
        components:
          inputs:
            find:
              type: object
              required: [q, limt]
              properties: {q: {type: string}, limit: {type: integer}}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:17:21 (#/components/inputs/find/required/1): required input 'limt' is "
        "not a property (did you mean 'limit'?)"
    )


def test_required_input_must_be_a_property(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            inputs:
              type: object
              required: [emial]
              properties:
                email: {type: string}
            steps: [{stepId: a, operationId: searchRecords}]
        """,
    )
    assert message == (
        "wf.arazzo.yaml:13:18 (#/workflows/0/inputs/required/0): required input 'emial' is not "
        "a property (did you mean 'email'?)"
    )


# ---------------------------------------------------------------------------- request bodies


def test_request_body_payload_and_replacements(here, crm_ids):
    result = load(
        here,
        """\
        workflows:
          - workflowId: logCall
            inputs:
              type: object
              required: [email, subject]
              properties:
                email: {type: string}
                subject: {type: string}
                notes: {type: string}
            steps:
              - stepId: find
                operationId: searchRecords
                parameters:
                  - {name: q, in: query, value: $inputs.email}
                outputs:
                  contactId: $response.body#/ids/0
              - stepId: log
                operationId: logActivity
                parameters:
                  - {name: X-Request-Id, in: header, value: 'call-{$inputs.email}'}
                requestBody:
                  contentType: application/json
                  payload:
                    type: call
                    contact_id: $steps.find.outputs.contactId
                    subject: 'Call: {$inputs.subject}'
                  replacements:
                    - {target: /notes, value: $inputs.notes}
                successCriteria:
                  - condition: $statusCode == 201
                outputs:
                  activity: $response.body#/data
        """,
        spec_operation_ids=crm_ids,
    )
    step = result.chains["logCall"].steps[1]
    assert step.body == {
        "type": "call",
        "contact_id": "$steps.find.outputs.contactId",
        "subject": "Call: {$inputs.subject}",
        "notes": "$inputs.notes",
    }
    assert result.warnings == []


@pytest.mark.parametrize(
    ("content_type", "payload", "body"),
    [
        (
            "application/x-www-form-urlencoded",
            "'type=call&contact_id={$inputs.id}&subject=Hello'",
            {"type": "call", "contact_id": "{$inputs.id}", "subject": "Hello"},
        ),
        (
            "application/json",
            """'{"type": "call", "contact_id": "{$inputs.id}"}'""",
            {"type": "call", "contact_id": "{$inputs.id}"},
        ),
        ("application/json", "$inputs.id", "$inputs.id"),
    ],
)
def test_text_payloads_become_structures(here, content_type, payload, body):
    result = load(
        here,
        f"""\
        workflows:
          - workflowId: w
            inputs: {{type: object, properties: {{id: {{type: integer}}}}}}
            steps:
              - stepId: log
                operationId: logActivity
                requestBody:
                  contentType: {content_type}
                  payload: {payload}
        """,
    )
    assert result.chains["w"].steps[0].body == body


def test_unusual_content_type_is_a_warning(here):
    result = load(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: log
                operationId: logActivity
                requestBody:
                  contentType: application/xml
                  payload: '<activity/>'
        """,
    )
    assert result.chains["w"].steps[0].body == "<activity/>"
    assert [str(w) for w in result.warnings] == [
        "wf.arazzo.yaml:15:11 (#/workflows/0/steps/0/requestBody/contentType): contentType "
        "'application/xml' is ignored: adaptgen sends chain bodies as JSON or form data, as "
        "the operation declares"
    ]


def test_body_cannot_read_the_response(here):
    message = error(
        here,
        """\
        workflows:
          - workflowId: w
            steps:
              - stepId: log
                operationId: logActivity
                requestBody:
                  payload: {subject: $response.body#/x}
        """,
    )
    assert message == (
        "wf.arazzo.yaml:15:21 (#/workflows/0/steps/0/requestBody/payload/subject): $response "
        "only means something in a step's outputs and criteria"
    )


def test_runtime_conditions_are_one_comparison(here):
    body = """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: searchRecords
                successCriteria:
                  - condition: {condition}
        """
    where = "wf.arazzo.yaml:15:13 (#/workflows/0/steps/0/successCriteria/0/condition): "
    assert error(
        here, body.replace("{condition}", "$statusCode == 200 && $response.body#/total > 0")
    ) == (
        where + "not supported: compound condition '$statusCode == 200 && $response.body#/total "
        "> 0'; write one successCriteria entry per comparison (all must hold)"
    )
    assert error(here, body.replace("{condition}", "$response.body#/total == $statusCode")) == (
        where + "not supported: condition '$response.body#/total == $statusCode'; compare an "
        "expression with a literal (number, true/false/null or 'text')"
    )
    truthy = load(here, body.replace("{condition}", "$response.body#/ids/0"))
    assert truthy.chains["w"].steps[0].success == [
        SuccessCriterion(condition="$response.body#/ids/0")
    ]


def test_step_outputs_are_read_with_dots_not_pointers(here):
    body = """\
        workflows:
          - workflowId: w
            steps:
              - stepId: find
                operationId: getContact
                parameters: [{name: contactId, in: path, value: '1001'}]
                outputs:
                  contact: $response.body#/data
              - stepId: deals
                operationId: listContactDeals
                parameters:
                  - {name: contactId, in: path, value: {ref}}
        """
    ok = load(here, body.replace("{ref}", "$steps.find.outputs.contact.id"))
    assert ok.chains["w"].steps[1].parameters[0].value == "$steps.find.outputs.contact.id"
    assert error(here, body.replace("{ref}", "'$steps.find.outputs.contact#/id'")) == (
        "wf.arazzo.yaml:20:41 (#/workflows/0/steps/1/parameters/0/value): not supported: a JSON "
        "pointer after $steps ('$steps.find.outputs.contact#/id'); the chain runtime reads "
        "fields with dots: $steps.find.outputs.contact.id"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "'$5 off'",
            "'$5 off' is not a runtime expression (a value starting with $ is read as one)",
        ),
        (
            "'$inputs.q please'",
            "'$inputs.q please' is not one runtime expression; to mix text and expressions "
            "write 'text {$inputs.name} text'",
        ),
    ],
)
def test_strings_starting_with_a_dollar_are_expressions(here, value, message):
    body = f"""\
        workflows:
          - workflowId: w
            inputs: {{type: object, properties: {{q: {{type: string}}}}}}
            steps:
              - stepId: find
                operationId: searchRecords
                parameters:
                  - {{name: q, in: query, value: {value}}}
        """
    assert error(here, body) == (
        f"wf.arazzo.yaml:16:34 (#/workflows/0/steps/0/parameters/0/value): {message}"
    )
