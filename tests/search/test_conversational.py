"""Requests as busy users type them: the ask wrapped in context.

"merge PR 301, CI is green", "Sarah asked me to rename the repo", "I was away two weeks, please
clear my notifications": only one clause asks; the others say why or for whom, and their words
must neither say the act nor outweigh the asking clause's words.
"""

from __future__ import annotations

import pytest

from adaptgen.search.intent import query_intent
from adaptgen.search.query import query_terms, read_query
from adaptgen.search.rank import SearchEngine
from adaptgen.search.synonyms import alternatives
from adaptgen.search.text import stem


def _weight(query: str, word: str) -> float:
    return max(w for said, w in read_query(query).weighted if said == word)


@pytest.mark.parametrize(
    ("query", "asked", "aside"),
    [
        ("can you tell me which teams exist? I'm onboarding a new hire", "teams", "onboarding"),
        ("I was on vacation, please clear all my notifications", "notifications", "vacation"),
        ("Sarah from marketing asked me to rename the repo", "repo", "marketing"),
        ("our security team wants to know who can push to the repo", "push", "security"),
        ("tag the task with urgent, the customer escalated it", "tag", "customer"),
        ("my inbox is out of control: which repos am I watching?", "watching", "inbox"),
    ],
)
def test_context_clauses_weigh_less_than_the_ask(query: str, asked: str, aside: str):
    said = read_query(query)
    assert _weight(query, aside) < _weight(query, asked) == 1.0
    assert aside not in said.main and asked in said.main


def test_a_context_clause_never_says_the_act():
    said = read_query("which projects live in the Engineering team? I'm trying to clean up")
    assert "clean" not in said.main


def test_someone_elses_me_is_not_the_callers_own_user():
    """ "asked me to" is no request about the caller's own account."""
    terms = dict(query_terms(read_query("Sarah asked me to rename the billing repo")))
    assert "authenticated" not in terms


def test_a_request_pointing_back_keeps_what_the_context_names():
    """ "this token leaked, make it stop working": the token is the object."""
    assert _weight("this token leaked, make it stop working", "token") == 1.0
    # A clause that ends in "that" points back too; a "that" before a noun does not.
    assert _weight("I moved $500 into savings today, can you record that?", "savings") == 1.0
    assert _weight("I moved $500 into savings today, delete that transfer", "savings") < 1.0


@pytest.mark.parametrize(
    "query",
    [
        "leave a note on the file: please review section 3",
        "break the launch task down: add a child item under it",
        "merge the branch",  # one clause: nothing is context
    ],
)
def test_a_colon_before_a_message_is_no_clause(query: str):
    said = read_query(query)
    head = said.weighted[1][0]
    assert _weight(query, head) == 1.0


@pytest.mark.parametrize(
    ("query", "act"),
    [
        ("can you tell me which teams exist in the org", "get"),
        ("drop task 3021 into the Done section", "update"),
        ("drop the old webhook", "delete"),
    ],
)
def test_phrases_of_busy_users_say_their_act(query: str, act: str):
    said = read_query(query)
    assert query_intent(said.main).act == act


@pytest.mark.parametrize(
    ("query", "file"),
    [
        ("delete config/prod.env from the main branch", True),
        ("save setup.sh as a gist", True),
        ("email priya@acme.io about https://hooks.acme.io/gh", False),
        ("publish v2.3.0 now", False),
    ],
)
def test_a_file_name_says_a_file(query: str, file: bool):
    assert (("file", 1.0) in read_query(query).weighted) == file


def test_a_lowercase_handle_put_on_a_team_is_a_membership():
    assert read_query("put tom-h on the frontend-devs team").member
    assert read_query("kick lena_w out of the workspace").member
    assert not read_query("put the frontend-devs team on hold").member


def test_him_or_her_taken_off_a_board_is_a_membership():
    """ "Jake finished his placement, so take him off the Sprint board": a person, where a
    name would be."""
    assert read_query("Jake finished his placement, so take him off the Sprint board").member
    assert read_query("add her to the design team").member
    assert not read_query("take it off the board").member


def test_can_you_asks_whatever_word_follows_it():
    """ "Droplet 31 is frozen. Can you hard power cycle it?": the question asks though its
    first word after "can you" is no verb, so the sentence before it is context."""
    said = read_query("Droplet 31 is frozen and won't answer SSH. Can you hard power cycle it?")
    assert said.main == ("hard", "power", "cycle", "it")


@pytest.mark.parametrize(
    ("query", "state"),
    [
        ("move PROJ-12 to Done", True),
        ("mark the bug as in progress", True),
        ("drag the card into review", True),
        ("move the file to the archive folder", False),
        ("set the due date to Friday", False),
    ],
)
def test_putting_a_thing_into_a_workflow_state_is_a_transition(query: str, state: bool):
    assert read_query(query).state == state


def test_a_ticket_moved_to_done_finds_the_transition_not_a_move():
    """The issue's own example: "move a ticket to Done" is Jira's `doTransition`, not one of the
    operations that reorder priorities or resolutions (`move_priorities`)."""
    entries = [
        {
            "name": name,
            "act": "update",
            "verb": verb,
            "fields": {"name": name.replace("_", " "), "summary": summary, "resource": resource},
        }
        for name, verb, summary, resource in [
            ("transition_issue", "transition", "transition issue", "transitions"),
            ("move_priorities", "move", "move priorities", "priorities"),
            ("edit_issue", "edit", "edit issue", "issue"),
        ]
    ]
    hits = SearchEngine({"tools": entries}).search("move a ticket to Done", limit=3)
    assert hits[0].name == "transition_issue"


def test_to_and_a_verb_after_the_request_says_what_the_thing_is_for():
    query = "make a task in the launch project for Maria to update the pricing page"
    assert "update" not in read_query(query).main
    assert _weight(query, "update") < _weight(query, "task") == 1.0
    assert "update" in read_query("I need to update the pricing page").main


def test_a_hedge_is_no_request():
    """ "looks like ..." reports; "please reopen it" asks (and `it` is the PR)."""
    said = read_query("looks like PR 77 was closed by mistake, please reopen it")
    assert said.main[:2] == ("reopen", "it")  # "please" is courtesy, no word of the request
    assert _weight("looks like PR 77 was closed by mistake, please reopen it", "pr") == 1.0


def test_a_relative_that_points_at_nothing_before():
    query = "for the release notes, could you list the PRs that got merged"
    assert _weight(query, "release") < 1.0


def test_an_acronyms_plural_is_its_word():
    assert ("pr", 1.0) in read_query("list the open PRs on the repo").weighted


def test_a_marker_in_the_context_does_not_run_into_the_ask():
    """ "says" marks what a message says, but "a customer says ...; find the calls" asks."""
    query = "a customer says we called them last night; find the calls to +4477009 from today"
    assert _weight(query, "calls") == 1.0
    assert read_query(query).main[:3] == ("find", "the", "calls")


@pytest.mark.parametrize(
    ("query", "act"),
    [
        ("I need everything assigned to me across the workspace", "list"),
        ("I need the readme of the repo", "get"),
        ("I need to close the issue", "update"),
    ],
)
def test_wanting_a_thing_asks_to_look(query: str, act: str):
    assert query_intent(read_query(query).main).act == act


@pytest.mark.parametrize(
    ("query", "act"),
    [
        # What goes on is no request: "getting" does not ask to read.
        ("We keep getting spam calls. Block that number", "change"),
        # An imperative verb no tool is named by still asks for a change, never a read.
        ("push the notification for that envelope again", "change"),
        ("block that number from calling our office phones", "change"),
        # A question word asks only where a sentence begins, not after a bracket.
        ("Jordan (jordan@acme.com) is joining support, put him on the hotline queue", "create"),
        ("is the build on main green?", "get"),
    ],
)
def test_what_goes_on_is_context_and_an_unknown_imperative_asks_for_a_change(query, act):
    said = read_query(query)
    assert query_intent(said.main).act == act


def test_a_change_never_fits_a_read():
    from adaptgen.search.intent import CHANGE, OperationIntent, QueryIntent, compatibility

    change = QueryIntent(CHANGE, "block", False)
    assert compatibility(change, OperationIntent("list", "list")) < 0
    assert compatibility(change, OperationIntent("create", "add")) > 0
    assert compatibility(change, OperationIntent("block", "block")) == 1.0


@pytest.mark.parametrize(
    "query",
    ["please delete the old webhook", "Shut it down", "move this document into the Archive folder"],
)
def test_a_sentences_stop_changes_nothing(query):
    """The last word before a period is a word, not a value (`webhook.` weighed 0.3)."""
    plain, stopped = read_query(query), read_query(query + ".")
    assert query_terms(stopped) == query_terms(plain)
    assert stopped.main == plain.main


@pytest.mark.parametrize(
    ("plain", "polite"),
    [
        ("what's in the Marketing project?", "Hey, what's in the Marketing project?"),
        ("store the deploy token as a secret", "Please store the deploy token as a secret"),
        ("look up torvalds' profile", "look up torvalds' profile Thanks!"),
        ("sign tom@acme.com up for the webinar", "Hi, Sign tom@acme.com up for the webinar"),
    ],
)
def test_greetings_and_thanks_change_nothing(plain, polite):
    """A greeting neither asks nor says a word of the request, and the sentence still begins
    after it (its question asks, its capital is no name)."""
    a, b = read_query(plain), read_query(polite)
    assert query_terms(b) == query_terms(a)
    assert query_intent(b.main) == query_intent(a.main)


@pytest.mark.parametrize(
    ("plain", "framed"),
    [
        ("archive the old onboarding project", "I need you to archive the old onboarding project"),
        ("ping my server on uploads", "Can you ping my server on uploads"),
        ("mark task 1201 as done", "Quick one: mark task 1201 as done"),
        ("unpin the old rules from #general", "Quick one: unpin the old rules from #general"),
    ],
)
def test_words_that_only_frame_a_request_change_nothing(plain, framed):
    """ "I need you to ..." asks for an act, not for a thing; a preamble with no verb before a
    colon ends there (after a request, a colon starts what a thing says)."""
    a, b = read_query(plain), read_query(framed)
    assert query_intent(b.main) == query_intent(a.main)
    assert dict(query_terms(b)).get(query_terms(a)[0][0]) == query_terms(a)[0][1]


def test_a_colon_after_a_request_still_starts_what_a_thing_says():
    said = read_query("post an update on the project: we're on track for launch")
    assert "track" not in said.main


@pytest.mark.parametrize(
    "frame",
    ["How do I ", "Is it possible to ", "Can I ", "Help me ", "Let's ", "I'd like to ", "Try to "],
)
def test_asking_how_or_whether_to_do_it_asks_for_the_act(frame):
    """ "How do I suspend subaccount AC42?" asks for the suspend, not for a read; the frame's
    words are no terms, and a request's `un-` verb still undoes."""
    plain = "suspend subaccount AC42, they stopped paying"
    a, b = read_query(plain), read_query(frame + plain)
    assert query_intent(b.main) == query_intent(a.main)
    assert query_terms(b) == query_terms(a)


def test_a_verb_done_again_finds_the_verb_when_no_tool_says_it_again():
    """ "resend INV-0455": `resend` is `send` again; an API with its own `resend` keeps it."""
    tools = [
        {"name": "email_invoice", "act": "create", "verb": "email",
         "fields": {"name": "email invoice", "summary": "Send a copy of an invoice by email"}},
        {"name": "get_invoice", "act": "get", "verb": "get", "fields": {"name": "get invoice"}},
    ]  # fmt: skip
    engine = SearchEngine({"tools": tools})
    assert engine.search("resend invoice 455 to the client", limit=1)[0].name == "email_invoice"
    assert "send" in engine._partial("resend")
    again = {"name": "resend_invoice", "act": "create", "verb": "resend",
             "fields": {"name": "resend invoice"}}  # fmt: skip
    assert "send" not in SearchEngine({"tools": [*tools, again]})._partial("resend")
    for word in ("remove", "review", "reset"):  # no other verb done again
        assert stem(word)[2:] not in engine._partial(stem(word))


def test_a_framed_un_verb_is_undone():
    tools = [
        {"name": "add_pin", "act": "create", "verb": "add", "fields": {"name": "add pin"}},
        {"name": "remove_pin", "act": "delete", "verb": "remov", "fields": {"name": "remove pin"}},
    ]
    engine = SearchEngine({"tools": tools})
    for query in (
        "unpin the old rules",
        "Can you unpin the old rules",
        "Quick one: unpin the rules",
    ):
        assert engine.search(query, limit=1)[0].name == "remove_pin"


@pytest.mark.parametrize(
    ("plain", "typed"),
    [
        ("archive the old project", "@bot archive the old project"),
        ("archive the old project", "archive the old project asap"),
        ("archive the old project", "archive the old project for me, when you get a chance"),
        ("archive the old project", "Yo archive the old project"),
        ("archive the old project", "Ok so archive the old project"),
    ],
)
def test_who_is_addressed_how_soon_and_for_whom_are_no_words_of_the_request(plain, typed):
    """`@bot` first names the agent, not a user; "for me" last is no request about the
    caller's own account; "asap" says when, not what."""
    a, b = read_query(plain), read_query(typed)
    assert query_terms(b) == query_terms(a)
    assert query_intent(b.main) == query_intent(a.main)


def test_my_own_things_still_say_the_callers_user():
    terms = dict(query_terms(read_query("show my open issues")))
    assert terms.get("authenticat") == 0.6


def test_please_in_the_middle_begins_the_request():
    """With no comma before it ("... by the bot please reopen it"), `please` still starts the
    asking clause."""
    said = read_query("looks like PR 77 was closed by mistake by the bot please reopen it")
    assert said.main[:1] == ("reopen",)


@pytest.mark.parametrize(
    ("query", "act", "verb"),
    [
        # A request that begins with its verb's -ing form still says it.
        ("Looking for the invoices from March", "list", "search"),
        ("I'm looking for a way to archive the old project", "update", "archiv"),
        ("I'm trying to archive the old project", "update", "archiv"),
    ],
)
def test_a_request_said_as_what_i_am_doing_asks_for_it(query, act, verb):
    intent = query_intent(read_query(query).main)
    assert (intent.act, intent.verb) == (act, verb)


def test_an_email_put_on_a_group_is_a_membership():
    said = read_query("add sam.ortiz@ourco.com and rita.gomez@ourco.com to the Sales East group")
    assert said.member
    assert not read_query("email sam.ortiz@ourco.com the report").member


@pytest.mark.parametrize(
    ("query", "past"),
    [
        ("who showed up to yesterday's board meeting?", True),
        ("what did people ask in the webinar last week", True),
        ("the call two days ago", True),
        ("who is coming to tomorrow's meeting?", False),
        ("show the last invoice", False),
    ],
)
def test_what_is_over_hints_at_past_records(query: str, past: bool):
    """APIs keep finished things apart (`/past_meetings`): a hint, at a time word's weight."""
    terms = dict(query_terms(read_query(query)))
    assert (terms.get("past") == 0.3) is past


def test_a_past_record_wins_a_tie_for_what_is_over():
    tools = [
        {"name": "list_webinar_questions", "act": "list", "verb": "list",
         "fields": {"name": "list webinar questions"}},
        {"name": "list_past_webinar_questions", "act": "list", "verb": "list",
         "fields": {"name": "list past webinar questions"}},
    ]  # fmt: skip
    engine = SearchEngine({"tools": tools})
    hits = engine.search("what questions were asked in the webinar last week", limit=1)
    assert hits[0].name == "list_past_webinar_questions"
    assert engine.search("what questions can people ask in the webinar", limit=1)[0].name == (
        "list_webinar_questions"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("Post 'Standup moved to 10:15 today' in the engineering channel", True),
        ("post 'deploy finished' in #releases", True),
        ("say 'hi'", True),
        ("send the 'Mutual NDA' template to jane@acme.com", False),
        ("send 'Mutual NDA' template to jane@acme.com", False),
    ],
)
def test_a_quote_said_is_a_message(query: str, message: bool):
    assert ("messag" in dict(query_terms(read_query(query)))) is message


@pytest.mark.parametrize(
    ("query", "noun"),
    [
        ("Grab the signed PDF of the lease (envelope 2e8b0f4d-6c91), plus the certificate",
         "envelop"),
        ("Hold off the welcome series (workflow 4f7d1e2a9c) while legal reviews it", "workflow"),
        ("Send the packet to the bulk list (list id 9a3f6c21) now", "list"),
    ],
)  # fmt: skip
def test_a_bracket_that_names_an_id_is_no_aside(query: str, noun: str):
    """`(envelope 2e8b...)` says what the thing before it is; `(we moved it last week)` is an
    aside."""
    assert dict(query_terms(read_query(query)))[noun] == 1.0
    aside = dict(query_terms(read_query("Archive the lease (legal asked us to) today")))
    assert aside["legal"] < 1.0


def test_while_until_and_unless_begin_an_aside():
    said = read_query("Hold off the welcome series while legal reviews the copy")
    terms = dict(query_terms(said))
    assert terms["copy"] < 1.0 and terms["welcom"] == 1.0
    intent = query_intent(said.main)
    assert (intent.act, intent.verb) == ("update", "paus")


def test_replicate_is_a_copy():
    intent = query_intent(read_query("replicate last month's newsletter").main)
    assert intent.act == "create"
    assert stem("duplicate") in alternatives(stem("replicate"))


@pytest.mark.parametrize(
    ("query", "act", "plural"),
    [
        ("Enter a bill from Metro Plumbing for $842.50", "create", False),
        ("Favourite the Q4 Planning board for me", "create", False),
        ("bookmark this board", "create", False),
        ("Which people clicked the link in campaign 44ac9e01f3?", "list", True),
        ("who are the children of this task", "list", True),
    ],
)
def test_more_verbs_and_irregular_plurals(query: str, act: str, plural: bool):
    intent = query_intent(read_query(query).main)
    assert (intent.act, intent.plural) == (act, plural)


def test_by_hand_is_manual_and_confirming_verifies():
    assert "manual" in dict(query_terms(read_query("the entries our accountant keyed in by hand")))
    assert stem("verify") in alternatives(stem("confirm"))


@pytest.mark.parametrize(
    ("query", "act"),
    [
        ("who reviewed PR 14?", "list"),
        ("Who has login access to our Xero file right now?", "list"),
        ("who's been starring our project?", "list"),
        ("who is U024BE7LH?", "get"),
        ("who am I signed in as?", "get"),
        ("what plan is our account on?", "get"),
    ],
)
def test_who_asks_about_people_any_number_of_them(query: str, act: str):
    """ "who reviewed PR 14?" asks for the reviews, however many; "who is U024BE7LH?" for
    one user."""
    assert query_intent(read_query(query).main).act == act


def test_opting_out_or_in_is_what_messaging_apis_call_unsubscribing_or_subscribing():
    assert "unsubscrib" in dict(query_terms(read_query("who opted out after the last email?")))
    assert "unsubscrib" in dict(query_terms(read_query("list the opt-outs from campaign 7")))
    assert "subscrib" in dict(query_terms(read_query("how many people opted in this week?")))
    assert "unsubscrib" not in dict(query_terms(read_query("the option to export")))


@pytest.mark.parametrize(
    ("query", "later"),
    [
        ("Can you set campaign 9d4f2a7e1b to go out on Tuesday, March 12 at 9:00 AM UTC?", True),
        ("have 'standup in 5' go out in #standup tomorrow at 9:55", True),
        ("post the release notes in #eng at 4pm", True),
        ("send an SMS reminder about tomorrow's dentist appointment", False),
        ("set up a call for next Tuesday at 3pm and send me the join link", False),
        ("send the invoice now", False),
    ],
)
def test_sending_at_a_time_to_come_is_scheduling(query: str, later: bool):
    """APIs call sending later scheduling (`chat.scheduleMessage`, `/actions/schedule`); a time
    that is what the message is about, or a time before the sending, says no such thing."""
    assert ("schedule" in dict(read_query(query).weighted)) == later


@pytest.mark.parametrize(
    ("query", "act", "verb"),
    [
        (
            "Do we already have a template for mutual NDAs somewhere? Find it for me.",
            "list",
            "find",
        ),
        (
            "Did the snapshot on droplet 3164494 finish yet? The action id was 36804758.",
            "get",
            None,
        ),
        ("Which people clicked the link in campaign 44ac? Sales wants to call them.", "list", None),
    ],
)
def test_a_request_after_a_question_says_the_act(query: str, act: str, verb: str | None):
    """A question followed by a request ("...? Find it for me.") asks what the request says; a
    sentence after it that asks nothing, or says what someone else wants, leaves the question."""
    intent = query_intent(read_query(query).main)
    assert (intent.act, intent.verb) == (act, verb)
