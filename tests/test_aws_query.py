"""AWS's query protocol: a structure or list argument goes part by part
(`EventDestination.MatchingEventTypes.member.1=send`), as botocore's `QuerySerializer` sends
it, where OpenAPI's `form` style sent its fields' names alone and a list as JSON.

botocore (a dependency, with boto3) and its own models of SES, IAM, EC2 and Redshift are the
reference: the same input serialized by botocore and by adaptgen's plan of the converted spec
in the corpus (`.corpus`, read in place; skipped where absent). EC2's protocol is its own
(`Filter.1.Value.1`)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import botocore.serialize
import botocore.session
import pytest

from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan
from adaptgen.runtime.serialize import aws_query_pairs, serialize_query

CORPUS = Path(__file__).resolve().parents[1] / ".corpus" / "package" / "api" / "amazonaws.com"


def test_parts_are_named_as_the_query_protocol_names_them():
    item = {
        "fields": {"Key": {"as": "Key", "shape": None}, "Value": {"as": "Value", "shape": None}}
    }
    tags = {"list": {"member": "member", "flat": False, "items": item}}
    sent = aws_query_pairs("Tags", [{"Key": "team", "Value": "web"}, {"Key": "env"}], tags)
    assert sent == [
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "web"),
        ("Tags.member.2.Key", "env"),
    ]
    assert aws_query_pairs("Tags", [], tags) == [("Tags", "")]  # an empty list is said so
    # A flattened list's items go under its member's name (SQS's `AttributeName.1`).
    names = {"list": {"member": "AttributeName", "flat": True, "items": None}}
    assert aws_query_pairs("AttributeNames", ["All", "Policy"], names) == [
        ("AttributeName.1", "All"),
        ("AttributeName.2", "Policy"),
    ]
    nested = {"fields": {"Names": {"as": "Names", "shape": names}}}
    assert aws_query_pairs("Q", {"Names": ["All"]}, nested) == [("Q.AttributeName.1", "All")]
    # A map's entries; a field the shape does not know, and booleans.
    mapped = {"map": {"items": None}}
    assert aws_query_pairs("Attributes", {"Policy": "{}"}, mapped) == [
        ("Attributes.entry.1.key", "Policy"),
        ("Attributes.entry.1.value", "{}"),
    ]
    free = {"fields": {}}
    assert aws_query_pairs("S", {"On": True, "n": 2}, free) == [("S.On", "true"), ("S.n", "2")]


def _tools(name: str) -> dict:
    spec = CORPUS / f"{name}.json"
    if not spec.exists():
        pytest.skip(f"the corpus is not here ({spec}): `make test` fetches it")
    with contextlib.redirect_stderr(io.StringIO()):
        api = plan(load_spec(spec), name, PlanOptions()).api
    return {t.upstream.operation_id: t for t in api.tools}


CASES = [
    (
        "email",
        "ses",
        "CreateConfigurationSetEventDestination",
        {
            "ConfigurationSetName": "cs",
            "EventDestination": {
                "Name": "n",
                "Enabled": True,
                "MatchingEventTypes": ["send", "bounce"],
                "CloudWatchDestination": {
                    "DimensionConfigurations": [
                        {
                            "DimensionName": "d",
                            "DimensionValueSource": "messageTag",
                            "DefaultDimensionValue": "x",
                        }
                    ]
                },
            },
        },
    ),
    (
        "iam",
        "iam",
        "CreateRole",
        {
            "RoleName": "deploy",
            "AssumeRolePolicyDocument": "{}",
            "Tags": [{"Key": "team", "Value": "web"}, {"Key": "env", "Value": "prod"}],
        },
    ),
    (
        "ec2",
        "ec2",
        "DescribeInstances",
        {
            "InstanceIds": ["i-0abc", "i-0def"],
            "Filters": [
                {"Name": "instance-state-name", "Values": ["running", "pending"]},
                {"Name": "tag:team", "Values": ["web"]},
            ],
        },
    ),
    (
        "redshift",
        "redshift",
        "DescribeNodeConfigurationOptions",
        {
            "ActionType": "restore-cluster",
            "Filters": [{"Name": "NodeType", "Operator": "in", "Values": ["ra3.xlplus", "dc2"]}],
        },
    ),
]


@pytest.mark.parametrize(("spec", "service", "operation", "given"), CASES)
def test_the_query_is_the_one_botocore_sends(spec, service, operation, given):
    tool = _tools(spec)[f"GET_{operation}"]
    model = botocore.session.get_session().get_service_model(service)
    serializer = botocore.serialize.create_serializer(model.protocol)  # query, or ec2
    body = serializer.serialize_to_request(given, model.operation_model(operation))["body"]
    wanted = {k: str(v) for k, v in body.items() if k not in ("Action", "Version")}
    members = model.operation_model(operation).input_shape.members
    params = {p.api_name: p for p in tool.upstream.params}
    sent: dict[str, str] = {}
    for member, value in given.items():
        name = members[member].serialization.get("name", member)  # Filters goes as Filter
        name = name[:1].upper() + name[1:] if model.protocol == "ec2" else name
        sent.update(serialize_query(params[name], value))
    assert sent == wanted
