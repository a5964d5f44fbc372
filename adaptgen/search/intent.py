"""Intent: what an operation does (from its method, path and name) and what a query asks for.

Most wrong answers of plain word matching are right resource, wrong act ("create a customer"
answered by the customer's list) or right act, neighbouring resource. The act is explicit on
both sides: an operation's HTTP method on its kind of path, its name's verb; a query's verb.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from adaptgen.search.synonyms import alternatives
from adaptgen.search.text import IRREGULAR_PLURALS, stem, words
from adaptgen.words import VERBS, plural

# The five acts, and the words that say each (query side; the first word is the act's name).
_ACT_WORDS = {
    "list": "list all browse enumerate every index search find query filter",
    "get": "get fetch retrieve view see read look lookup detail details info information inspect "
    "describe display check show grab",
    "create": "create add new make open post submit start write insert",
    "update": "update edit change modify set rename move assign replace patch mark toggle "
    "adjust reassign correct configure enable disable fix refresh",
    "delete": "delete remove cancel drop erase destroy trash discard revoke unset kill purge clear "
    "wipe scrap nuke ditch axe zap",
}
SPOKEN_ACTS = frozenset(word for spoken in _ACT_WORDS.values() for word in spoken.split())
ACT_OF_WORD = {
    stem(word): act for act, spoken in reversed(list(_ACT_WORDS.items())) for word in spoken.split()
}
GENERIC_VERB_MATCH = 0.85
# The verbs that say only an act: every tool of that act may be named by them. Any other verb
# ("disable", "rename", "revoke") said by the query and naming a tool picks that tool out.
_GENERIC = (
    "list get fetch show find create add new make update edit change set patch modify delete remove"
)
GENERIC_VERBS = frozenset(stem(w) for w in _GENERIC.split())
# Reads: a query's list/get/search are all looking, never changing.
READS = frozenset({"list", "get"})
# Acts of a POST or PUT: an operation named by another verb (`archive`, `merge`) is an `action`.
CHANGES = frozenset({"create", "update"})
ACTION_FIT = 0.1
# The act of a request whose verb says a change but not which ("block", "push").
CHANGE = "change"
CHANGE_FIT = 0.4
# Verbs of operations that answer without changing anything ("export the form data").
_LOOKING = """
    lookup read retrieve describe count check query download export preview render compare
    calculate estimate evaluate validate verify translate convert
"""
_LOOKING_VERBS = frozenset(_LOOKING.split())
# The words an operation is indexed under for its act (what users say for it).
INTENT_WORDS = {
    "list": ("list", "find", "show", "search", "all"),
    "get": ("get", "details", "show", "look", "fetch"),
    "create": ("create", "add", "new", "open", "send"),
    "update": ("update", "change", "set", "edit", "move", "assign"),
    "delete": ("delete", "remove", "cancel"),
}
# Action verbs whose act is clear when no operation has the verb itself ("publish a release"
# is its create, "stop the run" its cancel).
ACTION_ACTS = {
    **dict.fromkeys(
        [
            "publish",
            "upload",
            "send",
            "generate",
            "register",
            "raise",
            "log",
            "leave",
            "give",
            "grant",
            "invite",
            "copy",
            "duplicate",
            "clone",
            "replicate",
            "enter",
            "favourite",
            "favorite",
            "bookmark",
            "schedule",
            "text",
            "share",
            "attach",
            "tell",
            "say",
            "put",
            "save",
            "spin",
            "tag",
            "label",
            "import",
        ],
        "create",
    ),
    **dict.fromkeys(["stop", "kick", "ban", "expel"], "delete"),
    **dict.fromkeys(["buy", "purchase", "order", "dial", "call", "phone", "email"], "create"),
    **dict.fromkeys(
        ["end", "finish", "suspend", "pause", "resume", "point", "route", "redirect", "forward"],
        "update",
    ),
    **dict.fromkeys(
        ["archive", "close", "reopen", "rename", "lock", "unlock", "fix", "mute", "silence"]
        + ["transition"],
        "update",
    ),
}
# As an operation's name, some of those verbs mean another thing: `leave_conversation` exits a
# channel ("leave a comment" creates one), `put_object` is an HTTP method.
OPERATION_ACTS = {
    verb: act
    for verb, act in ACTION_ACTS.items()
    if verb not in ("leave", "give", "put", "say", "tell", "raise", "spin", "text")
}
# Phrasal verbs: (verb, particle) -> (act, verb), the particle within the next `PARTICLE_REACH`
# words ("throw the spam bot out").
_PHRASES = {
    ("take", "off"): ("delete", "remove"),
    ("take", "out"): ("delete", "remove"),
    ("take", "down"): ("delete", "remove"),
    ("take", "back"): ("delete", "delete"),
    ("kick", "out"): ("delete", "remove"),
    ("kick", "off"): ("create", "start"),
    ("get", "rid"): ("delete", "delete"),
    ("get", "out"): (None, "leave"),
    ("turn", "on"): ("update", "enable"),
    ("turn", "off"): ("update", "disable"),
    ("switch", "on"): ("update", "enable"),
    ("switch", "off"): ("update", "disable"),
    ("hand", "over"): ("update", "transfer"),
    ("look", "up"): ("get", "get"),
    ("look", "for"): ("list", "search"),
    ("search", "for"): ("list", "search"),
    ("look", "over"): ("get", "review"),
    ("look", "at"): ("get", "get"),
    ("pull", "up"): ("get", "get"),
    ("bring", "up"): ("get", "get"),
    ("set", "up"): ("create", "create"),
    ("spin", "up"): ("create", "create"),
    ("sign", "up"): ("create", "register"),
    ("clean", "up"): ("delete", "delete"),
    ("hang", "up"): ("update", "end"),
    ("call", "off"): ("delete", "cancel"),
    ("roll", "back"): ("update", "restore"),
    ("wipe", "out"): ("delete", "delete"),
    ("throw", "away"): ("delete", "delete"),
    ("throw", "out"): ("delete", "delete"),
    ("bring", "back"): ("update", "restore"),
    ("put", "back"): ("update", "restore"),
    ("tick", "off"): ("update", "complete"),
    ("check", "off"): ("update", "complete"),
    ("hand", "off"): ("update", "transfer"),
    ("sign", "off"): ("update", "approve"),
    ("shut", "down"): ("update", "disable"),
    ("dig", "up"): ("get", "get"),
    ("fill", "in"): ("update", "update"),
    ("write", "down"): ("create", "create"),
    ("give", "me"): ("get", "get"),  # "give me the recordings": a read, not a grant
    ("give", "us"): ("get", "get"),
    ("tell", "me"): ("get", "get"),  # "tell me which teams exist": a read, not a message
    ("tell", "us"): ("get", "get"),
    ("drop", "into"): ("update", "add"),  # "drop the task into Done": put, not delete
    ("drop", "onto"): ("update", "add"),
    ("log", "out"): ("delete", "terminate"),
    ("get", "back"): ("update", "restore"),  # "get the recordings back out of the trash"
    ("fire", "off"): ("create", "send"),
    ("hold", "off"): ("update", "pause"),
    ("key", "in"): ("create", "create"),  # "the entries our accountant keyed in"
    ("sign", "out"): ("delete", "terminate"),
    ("turn", "into"): ("create", "create"),  # "turn this PDF into a template": a new one
}
# Words that are mostly an API's nouns ("DNS records") but a request's verb before a pronoun:
# "Bayside paid INV-1023 yesterday, record it".
_NOUN_VERBS = {"record": ("create", "record")}
_OBJECTS = frozenset(["it", "that", "this", "them", "these", "those"])
# A verb right after one of these is not the request ("before I merge, show me the reviews").
PARTICLE_REACH = 4
_NEGATIONS = (
    ["don", "t"],
    ["do", "not"],
    ["never"],
    ["please", "don", "t"],
    ["please", "do", "not"],
)
# Words before a request that only ask for it to be done.
_FRAMES = [
    frame.split()
    for frame in (
        "so",
        "and",
        "also",
        "then",
        "just",
        "ok",
        "okay",
        "can you",
        "could you",
        "would you",
        "will you",
        "can we",
        "i need you to",
        "we need you to",
        "i want you to",
        "i d like you to",
        "i would like you to",
        "go ahead and",
        "help me",
        "help us",
        "try to",
        "let s",
        "lets",
        "let me",
        "i d like to",
        "i would like to",
        "i want to",
        "i need to",
        "we want to",
        "we need to",
        "i have to",
        "we have to",
        # Asking how, or whether, to do it asks for the act ("How do I archive a project?").
        "how do i",
        "how do we",
        "how can i",
        "how can we",
        "how should i",
        "how would i",
        "how to",
        "can i",
        "could i",
        "may i",
        "is it possible to",
        "is there a way to",
        "what s the best way to",
        "what is the best way to",
    )
]
# Saying what one is doing ("I'm trying to archive it"): a request when nothing else asks,
# a reason beside a question ("which projects are there? I'm trying to clean up").
_DOING_FRAMES = [
    frame.split()
    for frame in ("trying to", "i m", "i am", "we re", "we are", "looking for a way to")
]
_WANTING = (["i", "need"], ["i", "want"], ["we", "need"], ["we", "want"], ["i", "d", "like"])
_SUBORDINATORS = frozenset(
    ["before", "after", "when", "once", "if", "because", "since", "while", "until", "unless"]
)
_QUESTIONS = "what which who whose where when how is are was were has have does do did any"
_QUESTION_WORDS = frozenset(_QUESTIONS.split())
_ALL = frozenset(["all", "every", "everything", "everyone"])
_ANYONE = frozenset(["anyone", "anybody", "anything"])
# Words that ask to look, at one thing or at many: the number of the noun decides.
_LOOK_WORDS = frozenset({"show", "see", "view", "display", "look", "check", "get", "fetch"})
# Verbs that begin a request said as an imperative, besides those of `ACT_OF_WORD`.
REQUEST_VERBS = frozenset(ACTION_ACTS) | {verb for verb, _ in _PHRASES} | _LOOK_WORDS


@dataclass(frozen=True)
class OperationIntent:
    """The act of an operation and its own verb (`merge`, `send`), stems."""

    act: str
    verb: str


@dataclass(frozen=True)
class QueryIntent:
    """What a query asks to do: an act (or None) and the verb that said it (a stem)."""

    act: str | None
    verb: str | None
    plural: bool  # the query names things in the plural ("show open issues"): a list


def query_intent(spoken: Sequence[str] | str, verbs: Collection[str] = ()) -> QueryIntent:
    """The first verb of the query that says an act, or an action the API's operations have
    (`verbs`: their verbs, stemmed: "merge", "refund"). `spoken`: the query or its words."""
    if isinstance(spoken, str):
        spoken = words(spoken)
    spoken = without_frame(list(spoken))
    plural = any(_is_plural(w) for w in spoken)
    if list(spoken[1:3]) in (["s", "in"], ["is", "in"], ["s", "inside"], ["is", "inside"]):
        return QueryIntent("list", None, True)  # "what's in the project?": its contents
    if spoken and spoken[0] in _QUESTION_WORDS and spoken[:2] != ["how", "many"]:
        # "which numbers do we own?", "how long did call CA5 last?": a question asks to look.
        # "who" asks about people, any number of them ("who reviewed PR 14?"), unless it asks
        # who one is ("who is U024BE7LH?", "who am I signed in as?").
        # "is there a receipt on it?", "did anyone flag it?": whether any exist is a search.
        any_number = (
            (spoken[0] == "who" and spoken[1:2] not in (["is"], ["am"]))
            or spoken[:2] in (["is", "there"], ["are", "there"])
            or not _ANYONE.isdisjoint(spoken[:4])
        )
        many = plural or any_number
        return QueryIntent("list" if many else "get", None, many)
    if _wants_a_thing(spoken):
        # "I need everything assigned to me": asking to have it is asking to look.
        many = plural or not _ALL.isdisjoint(spoken)
        return QueryIntent("list" if many else "get", None, many)
    if _forbids(spoken, verbs):
        return QueryIntent("delete", stem("cancel"), plural)
    subordinate = False  # the next verb belongs to a "before I ..." clause
    for index, word in enumerate(spoken):
        if word in _SUBORDINATORS:
            subordinate = True
            continue
        if _is_past(word) or (_is_progressive(word) and index > 0):
            continue
        if _is_progressive(word):
            word = stem(word)  # "Looking for the March invoices": the request's own verb
        if subordinate and (stem(word) in ACT_OF_WORD or stem(word) in verbs):
            subordinate = False
            continue
        phrase = next(
            (
                _PHRASES[(word, p)]
                for p in spoken[index + 1 : index + 1 + PARTICLE_REACH]
                if (word, p) in _PHRASES
            ),
            None,
        )
        if phrase is not None:
            act, verb = phrase
            return QueryIntent(act, stem(verb), plural)
        if word in _NOUN_VERBS and spoken[index + 1 : index + 2] and spoken[index + 1] in _OBJECTS:
            return QueryIntent(*_NOUN_VERBS[word], plural)  # "record it": enter it, as new
        if word in ("how", "count") and "many" in spoken[index : index + 2]:
            return QueryIntent("list", "list", True)
        term = stem(word)
        if term in ACT_OF_WORD:
            act = ACT_OF_WORD[term]
            if word in _LOOK_WORDS and (plural or not _ALL.isdisjoint(spoken)):
                act = "list"
            elif act == "list" and not plural and "id" in spoken:
                act = "get"  # "find the contact by its id" looks one thing up
            return QueryIntent(act, term, plural)
        if term in verbs or word in ACTION_ACTS:
            return QueryIntent(ACTION_ACTS.get(word), term, plural)
        if index == 0 and word in VERBS and word not in _LOOKING_VERBS:
            # "Block that number", "push it again": an imperative verb no tool is named by
            # still asks for a change, not a read.
            return QueryIntent(CHANGE, term, plural)
    return QueryIntent(None, None, plural)


def without_frame(spoken: list[str], doing: bool = True) -> list[str]:
    """The request without the words that only frame it ("can you", "I need you to", "go
    ahead and"; with `doing`, also "I'm trying to"): the verb after them begins it, as an
    imperative does."""
    frames = _FRAMES + _DOING_FRAMES if doing else _FRAMES
    framed = True
    while framed:
        framed = False
        for frame in frames:
            if spoken[: len(frame)] == frame and len(spoken) > len(frame):
                spoken, framed = spoken[len(frame) :], True
    return spoken


def _wants_a_thing(spoken: Sequence[str]) -> bool:
    """ "I need the logs", "we want every open ticket": a want of a thing, not of an act (not
    "I need to close it")."""
    for wanting in _WANTING:
        if list(spoken[: len(wanting)]) == wanting and len(spoken) > len(wanting):
            return spoken[len(wanting)] != "to"
    return False


def _forbids(spoken: Sequence[str], verbs: Collection[str]) -> bool:
    """The request is "don't <act>" ("don't send the message I queued"): what was set to
    happen must be cancelled. Not "do not disturb": a negation names an act only before a verb
    that says one."""
    for negation in _NEGATIONS:
        if list(spoken[: len(negation)]) == negation and len(spoken) > len(negation):
            verb = spoken[len(negation)]
            return stem(verb) in ACT_OF_WORD or stem(verb) in verbs or verb in ACTION_ACTS
    return False


def _is_past(word: str) -> bool:
    """`changed`, `created`: describing things ("what changed"), not asking for an act."""
    return len(word) > 4 and word.endswith("ed") and stem(word) != word


def _is_progressive(word: str) -> bool:
    """`getting`, `joining`: what goes on ("we keep getting spam calls"), not a request."""
    return len(word) > 5 and word.endswith("ing") and stem(word) != word


def _is_plural(word: str) -> bool:
    if word in IRREGULAR_PLURALS:  # "which people clicked"
        return True
    return len(word) > 3 and stem(word) not in ACT_OF_WORD and plural(word)


def compatibility(query: QueryIntent, operation: OperationIntent) -> float:
    """How well an operation's act fits the query's: 1 exact, 0 unknown, below 0 opposite."""
    if query.verb is not None:
        if query.verb == operation.verb:
            # "add" on an add_* tool is its act, said the same way; "merge" is the tool.
            return GENERIC_VERB_MATCH if query.verb in GENERIC_VERBS else 1.0
        if operation.verb in alternatives(query.verb):
            return 0.9
    act = query.act
    if act is None:
        return 0.0
    if act == CHANGE:
        return -0.6 if operation.act in READS else CHANGE_FIT
    if act == operation.act or (act == "get" and query.plural and operation.act == "list"):
        return 0.8
    if operation.act == "action" and act in CHANGES:
        return ACTION_FIT  # "add" may be a `join`, but a create or an update says it better
    if act in READS and operation.act in READS:
        return 0.25
    if (act in READS) != (operation.act in READS):
        return -0.6
    if {act, operation.act} == {"create", "update"}:
        return 0.1
    return -0.3
