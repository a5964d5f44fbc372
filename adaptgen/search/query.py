"""Reading a query: which words name what to do, and which are only values for the arguments.

Users mix the two: "make a new channel called #incident-42", "open a bug report about the broken
build", "read src/app.py on main". Values must not steer the search (`called` is not Twilio's
calls, `build` is not GitHub Pages' builds), so they weigh little:

- quoted text is a value and is left out;
- `#name` says a channel, `@name` a user (chat conventions), the name itself is a value;
- a token holding `/`, `.`, `_` or a digit (`acme/api`, `config.yml`, `PR-12`) is a value;
- after a marker ("called", "titled", "saying", "about", a colon) comes what the thing says.

Users also say why and for whom ("merge PR 301, CI is green", "Sarah asked me to rename the
repo", "I was away for two weeks, please clear my notifications"). When some clause of the query
asks for something (a question, "can you", "please", an imperative verb), the other clauses are
context: their words weigh little and never say the act.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from adaptgen.search.intent import ACT_OF_WORD, REQUEST_VERBS, without_frame
from adaptgen.search.text import STOP_WORDS, stem, words
from adaptgen.words import VERBS

VALUE_WEIGHT = 0.3
CONTENT_WEIGHT = 0.4
CONTEXT_WEIGHT = 0.3

QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|`[^`]*`|(?<!\w)'[^']+'(?!\w)")  # values as typed
# What is said, quoted after a verb of saying ("post 'deploy done' in ..."): a message, unless
# a noun after it says what the quote names ("send the 'NDA' template").
_SAID_QUOTE = re.compile(
    r"\b(?:post|send|say|write|reply|text|dm|tweet)\s+(?=(?:"
    + QUOTED.pattern
    + r")(?:\s+(?:in|to|on|into|at|for)\b|\s*[,.!?;]|\s*$))",
    re.I,
)
# A chat channel as chat apps write it (`#design`, `#proj-falcon`), not a colour (`#FF5500`,
# `#1a2b3c`, `#FFF`: three to eight hex digits with a digit among them, or in capitals).
HASHTAG = re.compile(
    r"(?<![\w&])#(?!(?:(?=[0-9A-Fa-f]*\d)[0-9A-Fa-f]{3,8}|[A-F]{3,8})(?![\w-]))([A-Za-z][\w-]*)"
)
_MENTION = re.compile(r"(?<![\w.])@[A-Za-z][\w.-]*")
# An emoji, as a picture (its joiners, variation selectors and skin tones with it) or as a
# chat shortcode (`:tada:`, not the `:30:` of a time): what APIs call an emoji or a reaction.
_EMOJI = re.compile(
    "(?:[\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55][\ufe0f\u200d]*)+"
    r"|(?<![\w:]):(?:(?=[a-z0-9_+-]*[a-z])[a-z0-9_+-]+|[+-]1):(?![\w:])"
)
# A file name or path (`config/prod.env`, `setup.sh`) says a file; a domain does not.
FILE_NAME = re.compile(
    r"(?<![\w@/.:-])(?:[\w-]+/)*[\w-]+\.(?!(?:com|io|org|net|dev|co|ai)\b)[a-z][a-z0-9]{0,4}(?![\w.@/])",
    re.I,
)
# An IPv4 address (`203.0.113.10`, `192.168.130.14:80`) or range (`10.0.0.0/8`): to either
# ranking only digits, a value; APIs call it an IP address or range (`said_values`).
_IP_RANGE = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}/\d{1,2}(?![\w.])")
_IP_ADDRESS = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?![\w./])")
# A cloud's region and zone, as Google Cloud (`us-central1`, `us-east1-c`) and AWS (`us-east-1`,
# `us-east-1a`) name them: the tools of a zone or a region take it (`said_areas`).
_CLOUD_AREA = (
    r"(?<![\w:/-])(?:us|eu|europe|asia|ap|sa|ca|me|af|il|cn|australia|northamerica|southamerica)"
    r"(?:-gov)?-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-?\d{1,2}"
)
_CLOUD_ZONE = re.compile(_CLOUD_AREA + r"-?[a-g](?![\w:/-])")
_CLOUD_REGION = re.compile(_CLOUD_AREA + r"(?![\w:/-])")
# An amount of money (`$500`, `$5,000`, `€12.50`, `$85k`): an amount to the APIs that take one
# (`said_values`).
_AMOUNT = re.compile(r"(?<![\w$€£])[$€£]\s?\d[\d,]*(?:\.\d+)?(?:\s?[kKmM]\b)?")
# The extensions of files people name in requests: a name with one is a file for certain, where
# `FILE_NAME` also takes an event (`invoice.paid`), a setting (`user.login`) or a domain
# (`spammer.biz`) for one (`semantic.spoken`).
FILE_EXTENSIONS = frozenset({
    "yml", "yaml", "json", "md", "txt", "csv", "tsv", "xlsx", "xls", "docx", "doc", "pdf", "png",
    "jpg", "jpeg", "gif", "svg", "webp", "heic", "zip", "gz", "tgz", "tar", "mp4", "mov", "avi",
    "mkv", "mp3", "wav", "exe", "dmg", "apk", "ipa", "iso", "bin", "jar", "war", "whl", "env",
    "sh", "py", "js", "ts", "go", "rb", "java", "kt", "swift", "c", "h", "cpp", "cs", "php",
    "html", "css", "xml", "log", "ini", "cfg", "conf", "toml", "lock", "sql", "bak", "key", "pem",
    "crt", "cer", "p12", "pfx", "bicep", "tf", "ipynb", "ppt", "pptx", "odt", "rtf", "eml", "msg",
    "vcf", "ics",
})  # fmt: skip
# Prefixes written with a hyphen that belong to the word (`re-run`, `to-do`, `e-mail`).
_JOINED_PREFIX = re.compile(r"(?<![A-Za-z])(re|to|e|on|co|un|pre|non|sub)-(?=[A-Za-z])", re.I)
_VALUE_TOKEN = re.compile(r"[/._\d]|:\S")
# When, not what: filters of a list, never the resource ("texts we sent yesterday").
_TIME = """
    today yesterday tomorrow tonight morning afternoon evening week weeks month months year years
    day days hour hours minute minutes ago last next now am pm monday tuesday
    wednesday thursday friday saturday sunday weekend
"""
_TIME_WORDS = frozenset(_TIME.split())
# Ways of saying "many at once": APIs call it batch.
_BATCH = re.compile(
    r"\b(?:at once|in one go|in one call|in one request|in bulk|all at once)\b", re.I
)
# Messaging APIs say (un)subscribe for what users call opting out or in ("who opted out?").
_OPTED = re.compile(r"\bopt(ed|s|ing)?[- ]?(out|in)(s?)\b", re.I)
_OPT_FORMS = {"": "", "ed": "d", "s": "s", "ing": "ing"}
_BY_HAND = re.compile(r"\b(?:by hand|manually)\b", re.I)  # APIs say manual ("manual journals")
# Putting a thing into a workflow state ("move PROJ-9 to Done", "mark it as in review"): APIs
# call that its status, state or a transition.
_STATES = (
    "done|complete|completed|closed|open|resolved|in progress|to do|todo|backlog|review|"
    "in review|approved|rejected|blocked|pending|active|inactive|finished|started|ready|"
    "testing|qa|won|lost|paid|shipped|cancelled|canceled"
)
_STATE_VERBS = r"\b(?:move|moving|mark|set|put|change|switch|flip|push|drag|bump)\b"
_STATE_CHANGE = re.compile(
    rf"{_STATE_VERBS}.*?\b(?:to|as|into|in)\s+(?:the\s+)?['\"]?(?:{_STATES})\b", re.I
)
# A thing said to be otherwise from now on ("send calls on our line to https://... instead",
# "a different TwiML URL", "should now be just dana and li", "from now on"): a change of what
# is, whatever the verb says. Not "now instead of waiting", "rather than starting over": doing
# a thing now or another way, which may be anything.
_OTHERWISE = re.compile(
    r"\binstead\b(?!\s+of\s+\w+ing\b)|\brather than\b(?!\s+\w+ing\b)|\ba different\b"
    r"|\bfrom now on\b|\bshould now\b|\bnow be\b",
    re.I,
)
# The state itself, to say it in words to the encoder (`semantic.spoken`): where it ends what
# is said of it ("to Done.", "as done, Dave finished it", "to closed and ..."), not where more
# of a name or a noun follows ("to Closed Won", "to the Done list", "'In Review' column").
STATE_SAID = re.compile(
    rf"(?P<before>{_STATE_VERBS}.*?\b(?:to|as|into|in)\s+)(?:the\s+)?"
    rf"(?P<state>(?P<quote>['\"]?)(?:{_STATES})(?P=quote))"
    r"(?=\s*$|[.,;:!?)]|\s+(?:and|so|then|now|please|today|too|again|asap|for|since|because"
    r"|once|when|after|before)\b)",
    re.I,
)
STATE_TERMS = ("transition",)
STATE_WEIGHT = 0.6
# Ways of asking for a number of things: APIs call it count ("how many open tasks?").
_COUNT = re.compile(r"\b(?:how many|number of)\b", re.I)
# When a request is about what is over ("yesterday's meeting", "the call last week"): APIs
# keep the record of a finished thing apart (`past_meetings`, `/calls/completed`).
_PAST = re.compile(r"\b(?:yesterday|last (?:week|month|year|night|quarter|time)|ago)\b", re.I)
PAST_TERMS = ("past",)
PAST_WEIGHT = 0.3  # a hint that breaks ties, like a time word
# Asking what happened is asking for the record of events ("what happened in the org today?").
_HAPPENED = re.compile(r"\bwhat(?:'s| has)? happened\b", re.I)
# Sending at a time to come ("have it go out tomorrow at 9:55", "post it at 9am Monday"): APIs
# call that scheduling (`chat.scheduleMessage`, `/actions/schedule`).
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_LATER = re.compile(
    r"\b(?:go(?:es)? out|send|post|publish|deliver)\b(?:\W+\w+){0,8}?\W+"
    rf"(?:tomorrow\b(?!')|tonight\b|next (?:week|{_DAY})\b|on {_DAY}\b"
    r"|at \d{1,2}(?::\d\d)?\s*(?:am|pm)?\b)",
    re.I,
)
_MARKERS = frozenset(
    [
        "called",
        "named",
        "titled",
        "saying",
        "says",
        "reading",
        "containing",
        "about",
        "labelled",
        "labeled",
        "subject",
    ]
)


# "who am I signed in as": the caller's own user, which APIs call me, current, authenticated.
_SELF = re.compile(r"\b(?:who am i|(?:signed|logged) in as|currently (?:signed|logged) in)\b", re.I)
SELF_TERMS = ("me", "authenticated", "current")
SELF_WEIGHT = 0.6
UPSERT = stem("upsert")
# What an API calls things an act was done to: deleted, created, updated records.
_DONE = {act: stem(act) for act in ("create", "update", "delete")}
DONE_WEIGHT = 0.6
_FIRST_PERSON = frozenset(["my", "me", "mine", "myself"])
# Words before a number that say when or how much, not which thing ("since 2024-03-01").
_NOT_NAMING_WORDS = "since before after until till between through than about around over under"
_NOT_NAMING = frozenset(_NOT_NAMING_WORDS.split())
# "add Ana to the team", "take Alex off the project": a named person put in or out of a place
# is a membership, whatever the API calls the place.
_PLACING = frozenset(
    [
        "add",
        "put",
        "take",
        "kick",
        "throw",
        "remove",
        "invite",
        "bring",
        "move",
        "drop",
        "get",
        "pull",
    ]
)
_PERSONAL = frozenset(["him", "her"])  # a person, where a name would be
_TOWARD = frozenset(["to", "for", "from", "with"])  # before a person the act is not done to
_MOVED_WORDS = frozenset(["to", "on", "onto", "into", "off", "from", "out"])
MEMBER_TERMS = ("member", "membership")
MEMBER_WEIGHT = 0.6
# The noun after one of these holds what is asked about ("what's inside the Marketing folder").
_CONTAINER_WORDS = frozenset(["in", "inside", "within", "under", "on", "into", "from"])
_SENTENCE_END = re.compile(r"[.!?:;]$")
# Where one clause ends and the next begins: punctuation after a token, brackets, a dash, and
# a joining word before one ("..., so delete the file", "it's stuck because ...").
_CLAUSE_END = re.compile(r"[,.!?;)]$")
_CLAUSE_END_CHARS = ",.!?;"
_CLOSING = ",.!?;)\"'”’"
_CLAUSE_WORDS = frozenset(
    ["so", "because", "but", "while", "until", "unless", "-", "--", "—", "please", "pls", "kindly"]
)
# Someone else's wish, reported: what follows is the request ("Sarah asked me to rename ...",
# "the security team wants to know who ...").
_REPORTED = re.compile(
    r"\b(?:asked|asks|wants|wanted|needs|told|would like)(?: me| us)? to(?: know| see)?\b", re.I
)
# How a clause that asks for something begins (after fillers such as "hey", "ok", "and").
_FILLERS = frozenset(["hey", "hi", "hello", "ok", "okay", "so", "and", "also", "then", "just"])
_ASKING = frozenset(["please", "pls", "let", "lets", "help"])
# Greetings and thanks around a request: never part of what it asks.
_GREETINGS = frozenset(["hey", "hi", "hello", "yo", "ok", "okay"])  # where a sentence begins
# The agent addressed by name first ("@bot archive the project"): no user of the request.
_ADDRESSEE = re.compile(r"^\s*@[\w.-]+[,:]?\s+")
# How soon or for whom, said last in a clause ("... asap", "... for me", "... when you get a
# chance"): no word of what is asked (`me` there is no request about the caller's own user).
_ASIDES = re.compile(
    r"\s*\b(?:asap|right away|right now|real quick|quickly|when you (?:get a chance|can|have a "
    r"(?:sec|second|minute|moment))|if (?:you can|possible)|for (?:me|us))\s*(?=[.!?,;]|$)",
    re.I,
)
_COURTESY = _GREETINGS | frozenset(["please", "pls", "kindly", "thanks", "thank", "thx"])
_ASKING_PAIRS = frozenset(
    [
        ("can", "you"),
        ("could", "you"),
        ("would", "you"),
        ("will", "you"),
        ("can", "we"),
        ("i", "need"),
        ("i", "want"),
        ("i", "d"),
        ("i", "would"),
        ("we", "need"),
        ("i", "have"),
        ("go", "ahead"),
        ("can", "i"),
        ("could", "i"),
        ("may", "i"),
        ("try", "to"),
    ]
)
_QUESTIONS = "what whats which who whos whose where when how is are does do did any"
_QUESTION_STARTS = frozenset(_QUESTIONS.split())
# A request that points back ("..., please reopen it") names its object in the context.
_POINTING = frozenset(["it", "them", "its", "their", "those"])
# An acronym's plural (`PRs`, `URLs`) is its word (`pr`), not a name.
_ACRONYMS = re.compile(r"\b([A-Z]{2,})s\b")
# An id that says what it is by its first letters: `cus_NffrFeUfNV2Hib`, `in_1O2Zxy`,
# `INV-0744`, `PO-0057`, `INV-2024-0312` (letters, an underscore or a hyphen, then a number
# or a token, of one part or of several).
_KIND_ID = re.compile(
    r"(?<![\w/.-])(?:([a-z]{2,5})_(?=[A-Za-z0-9]*\d)|([A-Z]{2,5})-(?=\d))"
    r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\w/-])"
)


@dataclass(frozen=True)
class QueryWords:
    """A query's words in order, each with its weight, and the words that may say its act."""

    weighted: tuple[tuple[str, float], ...]
    main: tuple[str, ...]  # words outside values and content: where the verb is
    containers: tuple[str, ...] = ()  # nouns said as where, not what
    self_user: bool = False  # the query asks about the caller's own user
    member: bool = False  # a person is put in or taken out of something: a membership
    state: bool = False  # a thing is put into a workflow state ("move it to Done")
    past: bool = False  # said of what is over ("yesterday's meeting")
    kinds: tuple[str, ...] = ()  # the letters an id begins with (`cus_9s2`, `INV-0744`)
    identified: tuple[str, ...] = ()  # nouns said with an id ("droplet 3164494")
    person: bool = False  # a person is what the request acts on ("add her", "invite ana@x.io")
    keyed: tuple[str, ...] = ()  # those of them written LETTERS-number (`INV-0744`, `PROJ-31`)
    otherwise: bool = False  # a thing is to be otherwise from now ("... to X instead"): a change


def _clauses(tokens: list[str]) -> list[int]:
    """The clause number of each token."""
    numbers = []
    clause = 0
    naming = False  # inside "(envelope 7d2e9b14)": what the thing before is, not an aside
    for i, token in enumerate(tokens):
        if token.startswith("(") and _names_id(tokens[i : i + 3]):
            naming = True
        elif token.startswith("(") or token.lower() in _CLAUSE_WORDS:
            clause += 1
        numbers.append(clause)
        if naming and _closes(token):
            naming = False
            if token[-1] not in _CLAUSE_END_CHARS:
                continue  # "(envelope 7d2e)" ends no clause; "(envelope 7d2e)," does
        if _CLAUSE_END.search(token):
            clause += 1
    return numbers


def _names_id(tokens: list[str]) -> bool:
    """`(meeting 93847561234)`, `(list id 9a3f...)`: a bracket that names a thing's id."""
    end = next((i for i, t in enumerate(tokens) if _closes(t)), 0)
    *kind, value = tokens[: end + 1]
    noun = [w for t in kind for w in words(t)]
    return (
        0 < len(noun) <= 2
        and all(w.isalpha() and w not in STOP_WORDS for w in noun)
        and _VALUE_TOKEN.search(value.rstrip(_CLOSING)) is not None
    )


def _closes(token: str) -> bool:
    return token.rstrip(_CLAUSE_END_CHARS).endswith(")")


def _asks(clause: list[str], opens_sentence: bool = True, doing: bool = True) -> bool:
    """Whether a clause's words ask for something: a question, a request, an imperative. A
    question word asks only where a sentence begins ("Jordan (jordan@acme.com) is joining
    support" says what happens, its `is` after a bracket)."""
    said = [w for w in clause if w not in _FILLERS and w not in _COURTESY]
    spoken = without_frame(said, doing)
    if not spoken:
        return False
    first = spoken[0]
    return (
        first in _ASKING
        or (first in _QUESTION_STARTS and opens_sentence)
        or tuple(spoken[:2]) in _ASKING_PAIRS
        or tuple(said[:2]) in _ASKING_PAIRS  # "can you hard reboot it": asked, verb or not
        or _is_verb(first)
    )


def _context_tokens(tokens: list[str]) -> tuple[set[int], bool]:
    """Positions of the tokens in clauses that only give context, when another clause asks;
    and whether the asking clauses point back at something the context names."""
    numbers = _clauses(tokens)
    spoken: dict[int, list[str]] = {}
    opens: dict[int, bool] = {}
    opening = True  # the next token begins a sentence (a greeting before it does not count)
    for token, clause in zip(tokens, numbers, strict=True):
        said = words(token)
        opens.setdefault(clause, opening)
        spoken.setdefault(clause, []).extend(said)
        if _SENTENCE_END.search(token):
            opening = True
        elif not said or not all(w in _FILLERS or w in _COURTESY for w in said):
            opening = False
    asking = {c for c, said in spoken.items() if _asks(said, opens[c], doing=False)}
    if not asking:  # "I'm trying to archive it" asks when nothing else does
        asking = {c for c, said in spoken.items() if _asks(said, opens[c])}
    if not asking:
        return set(), False
    # ("Is it possible to ..." points at nothing: its `it` only frames the request.)
    asked = [without_frame([w for w in spoken[c] if w not in _COURTESY]) for c in asking]
    # ... or at the end of a clause "that" and "this" do too ("... can you record that?").
    pointing = any(
        not _POINTING.isdisjoint(said) or said[-1:] in (["that"], ["this"]) for said in asked
    )
    return {i for i, clause in enumerate(numbers) if clause not in asking}, pointing


def _questions_after_colons(tokens: list[str]) -> list[str]:
    """A colon before a question ends a sentence ("my inbox is a mess: which repos do I
    watch?"), as does one after a preamble with no verb before a request ("Quick one: archive
    the project", "Urgent: ..."); after a request it says what a thing says ("post an update:
    we're on track", see `_MARKERS`)."""
    out, start = [], 0
    for i, token in enumerate(tokens):
        rest = tokens[i + 1 :]
        if token.endswith(":") and (
            _starts_question(rest)
            or (_starts_request(rest) and not _has_verb(tokens[start : i + 1]))
        ):
            token = f"{token[:-1]}."
        out.append(token)
        if _SENTENCE_END.search(token) and not token.endswith(":"):
            start = i + 1
    return out


def _starts_request(tokens: list[str]) -> bool:
    first = [w for w in words(tokens[0]) if w not in _COURTESY][:1] if tokens else []
    return bool(first) and (_is_verb(first[0]) or first[0] in _ASKING)


def _has_verb(tokens: list[str]) -> bool:
    return any(_is_verb(w) for token in tokens for w in words(token))


def _starts_question(tokens: list[str]) -> bool:
    return bool(tokens) and any(w in _QUESTION_STARTS for w in words(tokens[0])[:1])


def said_values(text: str) -> str:
    """A request with its IP addresses and ranges and its amounts of money also said in words:
    "let 203.0.113.10 reach our SIP domain" is "let 203.0.113.10 IP address reach ...", "only
    10.20.0.0/16 can connect" is "only 10.20.0.0/16 IP range can connect", "when our spend
    passes $500" is "when our spend passes $500 amount" (docs/DESIGN.md, "An address said as
    an address", "An amount said as an amount"). Both rankings read it so (`read_query`,
    `semantic.spoken`)."""
    text = _IP_RANGE.sub(r"\g<0> IP range", text)
    text = _IP_ADDRESS.sub(r"\g<0> IP address", text)
    return _AMOUNT.sub(r"\g<0> amount", text)


def said_areas(text: str) -> str:
    """A request with its clouds' zones and regions also said as such: "what VMs are in
    us-central1-a" is "... us-central1-a zone", "the disk that spans us-central1" "...
    us-central1 region"; not in an ARN or a resource path (`arn:aws:sns:us-east-1:...`,
    `locations/us-central1/...`). For the words ranking only (`read_query`), where the word
    said after "in" is where, not what: to the encoder, "zone" names the zones themselves
    (docs/DESIGN.md, "A zone said as a zone")."""
    text = _CLOUD_ZONE.sub(r"\g<0> zone", text)
    return _CLOUD_REGION.sub(r"\g<0> region", text)


def _is_verb(word: str) -> bool:
    """Whether `word` is a verb said as a request: its plain form (`looks`, `closed` are not)."""
    if word.endswith("ed") or (word.endswith("s") and not word.endswith(("ss", "us"))):
        return False
    return word in REQUEST_VERBS or word in VERBS or stem(word) in ACT_OF_WORD


def _purpose(main: list[str], rest: list[str]) -> bool:
    """ "to <verb>" after the request's own verb says what the thing is for, not the act
    ("make a task for Maria to update the pricing page", "open an issue to track the bug")."""
    following = words(rest[0]) if rest else []
    if main[-1:] == ["way"]:
        return False  # "looking for a way to archive it": the archive is the request
    return bool(following) and _is_verb(following[0]) and any(_is_verb(w) for w in main)


@lru_cache(maxsize=256)
def read_query(text: str) -> QueryWords:
    """Split `text` into weighted words (see the module docstring). Remembered for the last
    256 texts: a search reads its request twice (the words, and the encoder's asking clause),
    and the result is immutable."""
    text = _ASIDES.sub("", _ADDRESSEE.sub("", said_areas(said_values(text))))
    self_user = _SELF.search(text) is not None
    state = _STATE_CHANGE.search(text) is not None
    past = _PAST.search(text) is not None
    otherwise = _OTHERWISE.search(QUOTED.sub(" ", text)) is not None  # not in what is said
    ids = list(_KIND_ID.finditer(text))
    kinds = tuple((m[1] or m[2]).lower() for m in ids)
    keyed = tuple(m[2].lower() for m in ids if m[2])
    text = _REPORTED.sub(r"\g<0> ;", text)
    text = _ACRONYMS.sub(lambda match: match[1].lower(), text)
    text = _BATCH.sub(" batch ", QUOTED.sub(" ", _SAID_QUOTE.sub(r"\g<0>message ", text)))
    text = _BY_HAND.sub(" manual ", text)
    text = _OPTED.sub(_subscribed, text)
    text = _COUNT.sub(r"\g<0> count ", text)
    text = _LATER.sub(r"\g<0> schedule ", text)
    text = _HAPPENED.sub(r"\g<0> events ", text)
    text = HASHTAG.sub(" channel ", text)
    text = _MENTION.sub(" user ", text)
    text = _EMOJI.sub(" emoji ", text)
    text = FILE_NAME.sub(r"\g<0> file", text)
    text = _JOINED_PREFIX.sub(r"\1", text)
    weighted: list[tuple[str, float]] = []
    main: list[str] = []
    main_at: list[int] = []  # where each word of `main` is in `weighted`
    containers: list[str] = []
    content = False
    after_container = False
    starts_sentence = True
    named_object = False
    person_object = False
    asked_after: int | None = None  # where the words of a sentence after a question begin
    tokens = _questions_after_colons(text.split())
    context, pointing = _context_tokens(tokens)
    aside = False
    for position, token in enumerate(tokens):
        if aside and position not in context:
            content = False  # "a customer says we called; find the calls": the ask is no message
        aside = position in context
        colon = token.endswith(":")
        token = token.rstrip(":")
        # A value: a path, file name or id; a capitalised name inside a sentence.
        name = not starts_sentence and token[:1].isupper() and not token.isupper()
        # A sentence's stop is no part of its last word ("delete the old webhook.").
        value = _VALUE_TOKEN.search(token.rstrip(_CLOSING)) is not None or name
        bare = token.strip(",.;:!?")
        slug = ("-" in bare or "_" in bare) and token.islower()  # `tom-h`, `jsmith-ext`, `lena_w`
        email = "@" in bare and not bare.startswith("@")
        person = name or slug or email or bare.lower() in _PERSONAL  # "take him off the board"
        # An address or "her" acted on; "send it to ana@x.io", "add it to her account" are not.
        acted_on = (email or bare.lower() in _PERSONAL) and not aside
        acted_on = acted_on and (position == 0 or tokens[position - 1].lower() not in _TOWARD)
        person_object = person_object or acted_on
        named_object = named_object or (person and main[-1:] != [] and main[-1] in _PLACING)
        opens = starts_sentence
        greeting = all(w in _FILLERS or w in _COURTESY for w in words(token))
        starts_sentence = (
            _SENTENCE_END.search(token) is not None or colon or (starts_sentence and greeting)
        )
        for word in words(token):
            if word in _COURTESY and (word not in _GREETINGS or opens):
                continue  # "Hey, ...", "please ...", "... Thanks!": no word of the request
            if word in _MARKERS or (word == "to" and _purpose(main, tokens[position + 1 :])):
                content = True
                continue
            weight = CONTENT_WEIGHT if content else 1.0
            if value or word in _TIME_WORDS:
                weight *= VALUE_WEIGHT
            if aside and not pointing:
                weight *= CONTEXT_WEIGHT
            weighted.append((word, weight))
            if not content and not value and not aside:
                if opens and position and tokens[position - 1].endswith("?"):
                    asked_after = asked_after if asked_after is not None else len(main)
                main.append(word)
                main_at.append(len(weighted) - 1)
            if word in _CONTAINER_WORDS:
                after_container = True
            elif after_container and weight == 1.0 and word not in STOP_WORDS:
                containers.append(word)
                after_container = False
        content = content or colon
        if token.endswith((",", ".", ";", "?", "!")):
            after_container = False  # "in acme/api, it's resolved": the place was a value
    if asked_after is not None:
        main, main_at = _request_first(main, main_at, asked_after)
    framed = len(main) - len(without_frame(main))
    if framed:  # "I need you to add Ana ...": its `to` moves no one, `need` is no term
        dropped = set(main_at[:framed])
        weighted = [pair for i, pair in enumerate(weighted) if i not in dropped]
        main = main[framed:]
    member = named_object and not _MOVED_WORDS.isdisjoint(main)
    return QueryWords(
        tuple(weighted),
        tuple(main),
        tuple(containers),
        self_user,
        member,
        state,
        past,
        kinds,
        _identified(tokens),
        person_object,
        keyed,
        otherwise,
    )


def _request_first(main: list[str], main_at: list[int], start: int) -> tuple[list[str], list[int]]:
    """ "Do we have a template for NDAs? Find it for me.": a question followed by a request says
    its act in the request (`start`: where the sentence after the question begins in `main`),
    so the request's words come first."""
    if not 0 < start < len(main) or main[0] not in _QUESTION_STARTS:
        return main, main_at
    if not _starts_request(main[start : start + 1]):
        return main, main_at
    order = list(range(start, len(main))) + list(range(start))
    return [main[i] for i in order], [main_at[i] for i in order]


def _identified(tokens: list[str]) -> tuple[str, ...]:
    """The nouns said with an id right after them ("droplet 3164494", "(envelope 2e8b...)"),
    not a verb's number ("add 5 seats") nor a time's ("since 2024-03-01")."""
    found = []
    for before, token in itertools.pairwise(tokens):
        said = words(before)
        if (
            said
            and any(c.isdigit() for c in token)
            and _VALUE_TOKEN.search(token.rstrip(_CLOSING))
            and before[-1:] not in _CLAUSE_END_CHARS
            and said[-1].isalpha()
            and said[-1] not in STOP_WORDS
            and said[-1] not in _TIME_WORDS
            and said[-1] not in _NOT_NAMING
            and not _is_verb(said[-1])
        ):
            found.append(said[-1])
    return tuple(found)


def _subscribed(match: re.Match[str]) -> str:
    prefix = "un" if match[2].lower() == "out" else ""
    return f"{prefix}subscribe{_OPT_FORMS[(match[1] or '').lower()]}{match[3]}"


def query_terms(query: QueryWords) -> list[tuple[str, float]]:
    """Distinct stems of the content words, each at the highest weight it was said with."""
    best: dict[str, float] = {}
    for word, weight in query.weighted:
        if word in STOP_WORDS or word.isdigit():
            continue
        term = stem(word)
        best[term] = max(best.get(term, 0.0), weight)
    for word, weight in query.weighted:
        act = ACT_OF_WORD.get(stem(word))
        if act in _DONE and word.endswith("ed") and stem(word) != _DONE[act]:
            # "what was removed": things whose record says deleted
            best.setdefault(_DONE[act], weight * DONE_WEIGHT)
    acts = {ACT_OF_WORD.get(stem(word)) for word in query.main}
    if {"create", "update"} <= acts:
        best[UPSERT] = 1.0  # "insert or refresh", "add the new ones, update the rest"
    if query.state:
        for term in map(stem, STATE_TERMS):
            best.setdefault(term, STATE_WEIGHT)
    if query.past:
        for term in map(stem, PAST_TERMS):
            best.setdefault(term, PAST_WEIGHT)
    if query.member:
        for term in map(stem, MEMBER_TERMS):
            best.setdefault(term, MEMBER_WEIGHT)
    if query.self_user:
        best.update(dict.fromkeys(map(stem, SELF_TERMS), 1.0))
    elif any(word in _FIRST_PERSON for word in query.main):
        for term in map(stem, SELF_TERMS):  # "my repos": the caller's own, a hint only
            best.setdefault(term, SELF_WEIGHT)
    return list(best.items())
