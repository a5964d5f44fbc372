"""A change that keeps the rest asks for the PATCH, one that replaces it all for the PUT
(`adaptgen/search/extent.py`), when an API has both on one path."""

from __future__ import annotations

import pytest
from test_index_rank import built, operation, other_lists

from adaptgen.search.extent import PART, WHOLE, extent
from adaptgen.search.rank import SearchEngine


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Add a tag to the colocation group, don't touch anything else on it.", PART),
        ("Make dana an owner of finance-leads, leave everything else about her as is.", PART),
        ("Move Algebra II to room B12 but leave its name, section and everything else as is", PART),
        ("add a header without touching the other custom headers already there", PART),
        ("change the title and nothing else", PART),
        ("only update the due date", PART),
        ("replace all the headers on ep_9Kd", WHOLE),
        ("overwrite the whole config of the pipeline", WHOLE),
        ("rename the repo", None),
        ("keep the door open", None),
        ("leave the channel", None),
        ("replace all the tags but leave the name as is", None),  # both: neither wins
    ],
)
def test_a_request_says_whether_it_keeps_the_rest_or_replaces_it_all(query, expected):
    assert extent(query) == expected


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """A path with PUT (replace) and PATCH (change some fields), named as APIs name them."""
    paths = {
        "/courses/{id}": {
            "put": operation("update_course", "Update a course"),
            "patch": operation("patch_course", "Update a course"),
            "get": operation("get_course", "Get a course"),
        },
        "/rooms/{id}": {"put": operation("update_room", "Update a room")},
        **other_lists("teachers", "students", "terms"),
    }
    _, index = built(tmp_path_factory.mktemp("extent"), paths)
    return SearchEngine(index)


def names(engine: SearchEngine, query: str, n: int = 3) -> list[str]:
    return [hit.name for hit in engine.search(query, limit=n)]


def pair(engine: SearchEngine) -> tuple[str, str]:
    """The course's PUT and PATCH tools, as the planner named them."""
    put = next(t.name for t in engine.tools if t.name.endswith("_course") and
               engine._siblings.method.get(t.name) == WHOLE)  # fmt: skip
    return put, engine._siblings.sibling[put]


def test_the_sibling_the_request_asks_for_comes_first_and_nothing_else_moves(both):
    put, patch = pair(both)
    assert {put, patch} <= set(names(both, "update the course"))
    kept = names(both, "update the course's room and leave everything else as is")
    replaced = names(both, "update the course: replace everything with this new record")
    assert kept.index(patch) < kept.index(put)
    assert replaced.index(put) < replaced.index(patch)
    # Only the pair trades places; the scores stay in order.
    assert set(kept) == set(names(both, "update the course's room"))
    scores = [h.score for h in both.search("update the course, nothing else", limit=3)]
    assert scores == sorted(scores, reverse=True)


def test_a_sibling_just_below_the_cut_moves_up(both):
    put, patch = pair(both)
    other = patch if names(both, "update the course", n=1) == [put] else put
    cue = "and leave everything else as is" if other == patch else "replace all of it"
    assert names(both, f"update the course {cue}", n=1) == [other]


def test_a_put_without_a_patch_beside_it_is_never_moved(both):
    put, patch = pair(both)
    assert both._siblings.sibling == {put: patch, patch: put}  # not the room's PUT
