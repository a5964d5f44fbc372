"""Word associations learned from a spec's own prose, and the prose the index reads.

A task tracker whose comments are "stories": no tool is named by "comment", and the sentence
that says so is past the part of the description a tool's listing keeps.
"""

from __future__ import annotations

import pytest

from adaptgen.build import BuildOptions, planned, search_index
from adaptgen.hints import load_hints
from adaptgen.search.associations import associations
from adaptgen.search.index import build_index, index_json
from adaptgen.search.rank import SearchEngine

_LEAD = (
    "Stories are the activity feed of a task: every change anybody makes to the task is "
    "recorded as a story, with who made it and when, so that the history can be shown later."
)
_STORY_OPERATIONS = """
  /tasks/{task}/stories:
    get: {operationId: getStoriesForTask, summary: Get stories from a task, tags: [Stories],
          description: "%(lead)s Includes every comment left on the task.",
          responses: {"200": {description: ok}}}
    post: {operationId: createStoryForTask, summary: Create a story on a task, tags: [Stories],
           description: "%(lead)s Only comment stories can be created.",
           responses: {"201": {description: ok}}}
  /stories/{story}:
    put: {operationId: updateStory, summary: Update a story, tags: [Stories],
          description: "%(lead)s Only the text of a comment can be changed.",
          responses: {"200": {description: ok}}}
    delete: {operationId: deleteStory, summary: Delete a story, tags: [Stories],
             responses: {"204": {description: ok}}}
"""
SPEC = (
    """openapi: 3.0.3
info: {title: Tracker, version: "1"}
tags:
  - {name: Stories, description: "The history of a task, its comments included."}
paths:
  /tasks:
    get: {operationId: getTasks, summary: Get multiple tasks, tags: [Tasks],
          responses: {"200": {description: ok}}}
    post: {operationId: createTask, summary: Create a task, tags: [Tasks],
           responses: {"201": {description: ok}}}
  /tasks/{task}:
    put: {operationId: updateTask, summary: Update a task, tags: [Tasks],
          responses: {"200": {description: ok}}}
  /tasks/{task}/subtasks:
    post: {operationId: createSubtaskForTask, summary: Create a subtask, tags: [Tasks],
           responses: {"201": {description: ok}}}
  /projects:
    get: {operationId: getProjects, summary: Get multiple projects, tags: [Projects],
          responses: {"200": {description: ok}}}
    post: {operationId: createProject, summary: Create a project, tags: [Projects],
           responses: {"201": {description: ok}}}
  /tags:
    get: {operationId: getTags, summary: Get multiple tags, tags: [Tags],
          responses: {"200": {description: ok}}}
  /users:
    get: {operationId: getUsers, summary: Get multiple users, responses: {"200": {description: ok}}}
  /users/{user}:
    get: {operationId: getUser, summary: Get a user, responses: {"200": {description: ok}}}
  /teams:
    get: {operationId: getTeams, summary: Get teams, responses: {"200": {description: ok}}}
    post: {operationId: createTeam, summary: Create a team, responses: {"201": {description: ok}}}
  /webhooks:
    post: {operationId: createWebhook, summary: Establish a webhook,
           responses: {"201": {description: ok}}}
  /webhooks/{webhook}:
    delete: {operationId: deleteWebhook, summary: Delete a webhook,
             responses: {"204": {description: ok}}}
  /attachments/{attachment}:
    get: {operationId: getAttachment, summary: Get an attachment,
          responses: {"200": {description: ok}}}
"""
    + _STORY_OPERATIONS % {"lead": _LEAD}
)


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """The index a build writes (the spec's prose read), and one from the catalog alone."""
    spec = tmp_path_factory.mktemp("tracker") / "tracker.yaml"
    spec.write_text(SPEC)
    result, _ = planned(BuildOptions(spec=spec, no_hints=True))
    return search_index(result, load_hints(None)), build_index(result.api)


def test_a_word_only_the_prose_says_points_at_the_name_it_goes_with(tracker):
    built, from_catalog = tracker
    assert built["associations"]["comment"] == [["story", 1.0]]
    assert "comment" not in from_catalog["associations"]  # the listing cut that sentence


def test_the_prose_finds_the_tool_its_words_name(tracker):
    built, from_catalog = tracker
    query = "add a comment to the task"
    assert SearchEngine(built).search(query, limit=1)[0].name == "create_story_for_task"
    assert SearchEngine(from_catalog).search(query, limit=1)[0].name != "create_story_for_task"


def test_associations_are_in_the_index_file_and_deterministic(tracker):
    built, _ = tracker
    text = index_json(built)
    assert text.splitlines()[-1].startswith('"associations": {')
    assert index_json(built) == text


def _entry(name: str, description: str) -> dict:
    return {"name": name, "fields": {"name": name.replace("_", " "), "description": description}}


def test_chance_and_named_words_are_not_associated():
    entries = [
        _entry("create_story", "a comment and a refund"),
        _entry("update_story", "a comment and a refund"),
        _entry("delete_story", "a comment"),
        _entry("list_invoices", "a story about invoices"),
        *[_entry(f"get_thing_{n}", "things") for n in range(12)],
    ]
    found = associations(entries)
    assert found["comment"] == [["story", 1.0]]
    assert "refund" not in found  # in two tools' prose: chance
    assert "invoices" not in found and "story" not in found  # words tools are named by
