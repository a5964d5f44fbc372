"""Response shaping: keep/drop JSONPaths, default denoise, and the token budget."""

from __future__ import annotations

import pytest

from adaptgen.runtime import jsonpath
from adaptgen.runtime.catalog import Shape
from adaptgen.runtime.shape import denoise, estimate_tokens, fit, fit_items, select

RECORD = {
    "id": 7,
    "name": "Ada",
    "email": None,
    "tags": [],
    "address": {"city": "", "zip": None},
    "links": ["https://ada.example/blog"],  # a real field that happens to be called links
    "_links": {"self": {"href": "/contacts/7"}, "parent": None},
    "notes_html": "<p>Met at&nbsp;the <b>expo</b>.<br/>Call back &amp; send pricing.</p>",
    "bio": "word " * 200,
}


def test_keep_projects_and_keeps_list_order():
    data = {"data": [{"id": 1, "a": 1, "b": 2}, {"id": 2, "a": 3, "b": 4}], "paging": {"p": 1}}
    assert jsonpath.keep(data, ["$.data[*].id", "$.data[*].b"]) == {
        "data": [{"id": 1, "b": 2}, {"id": 2, "b": 4}]
    }


def test_drop_removes_everywhere_and_does_not_mutate():
    data = {"a": {"audit": 1, "x": [{"audit": 2, "y": 3}]}, "audit": 4}
    assert jsonpath.drop(data, ["$..audit"]) == {"a": {"x": [{"y": 3}]}}
    assert data["audit"] == 4


def _random_document(rng, depth=0):
    roll = rng.random()
    if depth > 4 or roll < 0.3:
        return rng.choice([1, "x", None, True, [], {}])
    if roll < 0.65:
        keys = ["a", "b", "audit", "_links", "a1"]
        return {
            rng.choice(keys): _random_document(rng, depth + 1) for _ in range(rng.randint(0, 4))
        }
    return [_random_document(rng, depth + 1) for _ in range(rng.randint(0, 4))]


FAST_EXPRESSIONS = ["$..a", "$..audit", "$..a.b", "$..a[*]", "$..a[0]", "$.a..b", "$..a..b"]
FAST_EXPRESSIONS += ["$..a..a", "$[*]..b", "$..b.a..a", "$.a", "$[*].b", "$.a[1].b"]


@pytest.mark.parametrize("seed", range(4))
def test_walked_paths_match_jsonpath_ng_exactly(seed):
    """Names, [*], [n] and ..name are walked without jsonpath-ng on every call; the paths, their
    order and the de-duplication must be what jsonpath-ng's general matcher gives."""
    import random

    rng = random.Random(seed)
    for _ in range(300):
        document = _random_document(rng)
        for expression in FAST_EXPRESSIONS:
            assert jsonpath._fast_steps(expression) is not None
            walked = jsonpath.paths(expression, document)
            assert walked == jsonpath._matched_paths(expression, document), (expression, document)


NAME_EXPRESSIONS = ["$", "$.a", "$.a.b", "$.a1.audit.a", "$.b.a.b.a", "$._links"]


@pytest.mark.parametrize("seed", range(4))
def test_find_and_first_of_plain_names_match_jsonpath_ng_exactly(seed):
    """`$.a.b` is walked without jsonpath-ng (login tokens, paging totals on every cold start);
    values, missing names, nulls and lists in the way must be as jsonpath-ng finds them."""
    import random

    rng = random.Random(seed)
    for _ in range(300):
        document = {"a": _random_document(rng), "b": _random_document(rng)}
        for expression in NAME_EXPRESSIONS:
            assert jsonpath._field_names(expression) is not None
            general = [m.value for m in jsonpath.compile_path(expression).find(document)]
            assert jsonpath.find(expression, document) == general, (expression, document)
            expected = general[0] if general else "missing"
            assert jsonpath.first(expression, document, "missing") == expected


def test_names_jsonpath_ng_reads_as_more_than_a_name_go_to_it():
    for expression in ["$.a.where", "$.true", "$.null", "$.a[*]", "$.a[0]", "$..a"]:
        assert jsonpath._field_names(expression) is None


def test_richer_expressions_still_use_the_general_matcher():
    for expression in ["$..*", "$..a[?@.b == 1]", "$..['a','b']", "$.a[-1]", "$..a[0:2]"]:
        assert jsonpath._fast_steps(expression) is None


@pytest.mark.parametrize("seed", range(4))
def test_drop_equals_deleting_from_a_deep_copy(seed):
    """What drop used to do (deep copy, then delete deepest first), on random documents."""
    import copy
    import random

    rng = random.Random(100 + seed)
    for _ in range(300):
        document = _random_document(rng)
        before = copy.deepcopy(document)
        expressions = rng.sample(["$..a", "$..audit", "$.a..b", "$[*]", "$..b[0]", "$..a1"], 3)
        expected = copy.deepcopy(document)
        selected = {p for e in expressions for p in jsonpath._matched_paths(e, expected) if p}
        for path in sorted(selected, key=jsonpath.removal_order, reverse=True):
            del jsonpath.get(expected, path[:-1])[path[-1]]
        assert jsonpath.drop(document, expressions) == expected, (expressions, document)
        assert document == before


def test_rfc9535_filters_are_understood():
    data = {"ops": [{"id": "a", "v": 1}, {"id": "b", "v": 2}]}
    assert jsonpath.find("$.ops[?@.id == 'b'].v", data) == [2]


def test_invalid_jsonpath_is_a_clear_error():
    with pytest.raises(jsonpath.JsonPathError, match="invalid JSONPath"):
        jsonpath.compile_path("$.a[")


def test_default_denoise():
    out = denoise(RECORD, max_string_chars=100, list_cap=50)
    assert "email" not in out and "tags" not in out and "address" not in out
    assert "_links" not in out
    assert out["links"] == ["https://ada.example/blog"]
    assert out["notes_html"] == "Met at the expo.\nCall back & send pricing."
    assert out["bio"].endswith("chars]") and len(out["bio"]) < 130
    assert out["id"] == 7 and out["name"] == "Ada"


def test_real_fields_named_links_survive():
    record = {"links": {"homepage": "Ada's site", "count": 3}}
    assert denoise(record, 100, 50) == record


def test_an_answer_of_nothing_but_links_is_its_own_content():
    # An API's root (Siren, HAL): the links are all it says, so they are what the agent reads.
    root = {"links": {"self": "https://api.example/", "v2": "https://api.example/v2"}}
    assert denoise(root, 100, 50) == root
    hal = {"_links": {"self": {"href": "/"}, "contacts": {"href": "/contacts"}}, "etag": "W/1"}
    assert denoise(hal, 100, 50) == hal
    assert select(root, Shape(), whole_response=True) == root
    # Beside data, or below the answer's top, links stay noise.
    assert denoise({**root, "name": "Ada"}, 100, 50) == {"name": "Ada"}
    assert denoise({**root, "items": []}, 100, 50) == {}
    nested = {"id": 7, "author": {"links": {"related": "https://api.example/people/9"}}}
    assert denoise(nested, 100, 50) == {"id": 7}


def test_list_cap_marks_what_it_cut():
    out = denoise({"ids": list(range(120))}, 100, 50)
    assert out["ids"][:50] == list(range(50))
    assert out["ids"][50] == "…(+70 more items not shown)"


def test_select_applies_drop_then_keep_then_denoise():
    spec = Shape(keep=("$.name", "$.notes_html", "$.email"), drop=("$.email",))
    assert select(RECORD, spec) == {
        "name": "Ada",
        "notes_html": denoise(RECORD["notes_html"], 400, 50),
    }


def test_budget_cuts_a_500_item_list_at_item_boundaries():
    data = {"ids": list(range(500)), "items": [{"id": i, "text": "x" * 80} for i in range(500)]}
    shaped = fit(data, max_tokens=1000)
    assert estimate_tokens(shaped.data) <= 1000
    items = shaped.data["items"]
    assert items == data["items"][: len(items)] and len(items) > 0
    assert shaped.cuts[0].path == "$.items" and shaped.cuts[0].total == 500


def test_a_budget_never_empties_a_list():
    """Jellyfin's latest media: a list of one 150-field record over the budget came back `[]`
    (the list was cut to no item). Now the record stays, its own lists cut and its strings
    shortened; a longer list keeps its first records."""
    record = {"id": "a1", "name": "Film", "tags": [f"tag-{i}" for i in range(400)]}
    record.update({f"field_{i}": "v" * 60 for i in range(60)})
    for data in ([record], [record, dict(record, id="a2")], {"items": [record]}):
        shaped = fit(data, max_tokens=1000)
        items = shaped.data if isinstance(shaped.data, list) else shaped.data["items"]
        assert len(items) == 1 and items[0]["id"] == "a1"
        assert estimate_tokens(shaped.data) <= 1000
    # A record no cut brings under the budget still comes back, as small as cuts make it.
    record.update({f"field_{i}": "v" * 60 for i in range(400)})
    shaped = fit([record], max_tokens=1000)
    assert len(shaped.data) == 1 and estimate_tokens(shaped.data) < estimate_tokens(record) / 2


def test_fit_items_never_returns_nothing():
    huge = [{"text": "y " * 5000}, {"text": "z"}]
    kept, count = fit_items(huge, max_tokens=200, envelope_tokens=20)
    assert count == 1 and estimate_tokens(kept) <= 200


def test_token_estimate_is_utf8_bytes_over_four():
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens({"a": "é"}) == 3  # {"a":"é"} is 10 bytes


def test_bookkeeping_goes_by_default_but_look_alikes_stay():
    record = {
        "id": 1,
        "audit": {"created_by": "x"},
        "etag": 'W/"1"',
        "meta": {"request_id": "r1", "elapsed_ms": 3},
        "notes": "Call back",
        "notes_html": "<p>Call back</p>",
        "bio_html": "<p>Engineer</p>",
        "metadata": {"plan": "gold"},  # user data (Stripe-style), not request bookkeeping
    }
    assert denoise(record, 100, 50) == {
        "id": 1,
        "notes": "Call back",
        "bio_html": "Engineer",
        "metadata": {"plan": "gold"},
    }


def test_html_tables_keep_cell_boundaries_and_nested_paging_goes():
    out = denoise(
        {
            "notes_html": "<table><tr><td>Imported</td><td>10/29/2014</td></tr></table>",
            "associations": {"deals": {"results": [1], "paging": {"next": {"after": "x"}}}},
            "paging": {"next": {"after": "y"}},
        },
        100,
        50,
        free_depth=1,
    )
    assert out["notes_html"] == "Imported | 10/29/2014"
    assert out["associations"] == {"deals": {"results": [1]}}
    assert out["paging"] == {"next": {"after": "y"}}  # the response's own paging stays


def test_odata_bookkeeping_is_noise():
    """SAP's OData v2 answers every record with its `__metadata` (uri, type, etag) and each
    navigation not expanded as `{"__deferred": {"uri": ...}}`; OData v4 with `@odata.context`,
    `@odata.id`, `@odata.editLink` and a property's `@odata.mediaReadLink`. None of it is data
    to an agent (it calls the tools, not the links). The paging's `@odata.nextLink` and
    `@odata.count`, and every value, stay."""
    base = "https://s4.example.com/sap/opu/odata/sap/API_BUSINESS_PARTNER"
    v2 = {
        "d": {
            "results": [
                {
                    "__metadata": {
                        "id": f"{base}/A_BusinessPartner('1000042')",
                        "uri": f"{base}/A_BusinessPartner('1000042')",
                        "type": "API_BUSINESS_PARTNER.A_BusinessPartnerType",
                        "etag": "W/\"datetimeoffset'2026-11-30T01%3A02%3A03Z'\"",
                    },
                    "BusinessPartner": "1000042",
                    "BusinessPartnerFullName": "Ada Lovelace",
                    "to_BusinessPartnerAddress": {
                        "__deferred": {"uri": f"{base}/A_BusinessPartner('1000042')/to_Address"}
                    },
                    "to_Customer": {"BusinessPartner": "1000042", "Customer": "17"},
                }
            ],
            "__count": "1",
        }
    }
    assert denoise(v2, 400, 50) == {
        "d": {
            "results": [
                {
                    "BusinessPartner": "1000042",
                    "BusinessPartnerFullName": "Ada Lovelace",
                    "to_Customer": {"BusinessPartner": "1000042", "Customer": "17"},
                }
            ],
            "__count": "1",
        }
    }
    v4 = {
        "@odata.context": "https://org.example.com/api/data/v9.2/$metadata#accounts",
        "@odata.count": 2,
        "value": [
            {
                "@odata.etag": 'W/"1234"',
                "@odata.id": "accounts(8f2c)",
                "@odata.editLink": "accounts(8f2c)",
                "name": "Contoso",
                "logo@odata.mediaReadLink": "accounts(8f2c)/logo",
            }
        ],
        "@odata.nextLink": "https://org.example.com/api/data/v9.2/accounts?$skiptoken=2",
    }
    assert denoise(v4, 400, 50) == {
        "@odata.count": 2,
        "value": [{"name": "Contoso"}],
        "@odata.nextLink": "https://org.example.com/api/data/v9.2/accounts?$skiptoken=2",
    }
