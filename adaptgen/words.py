"""Words of identifiers and names, and sentences of prose, shared by the planner and by search
(build and run time).

Kept free of imports beyond the standard library: the runtime's search uses it on every query.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import lru_cache

# Before the last capital of a run that starts a word (`HTTPResponse` -> `HTTP_Response`), but
# not before an acronym's plural `s` (`listAPIs` -> list, apis; `getUserIDs`). Lookarounds only:
# `([A-Z]+)([A-Z][a-z])` said the same but backtracked quadratically on a long run of capitals
# (a 40 KB operationId took 24 s).
_CAMEL_1 = re.compile(r"(?<=[A-Z])(?=[A-Z](?!s(?![a-z]))[a-z])")
# An acronym glued to a small word after it (Zuora's `RSbyInvoiceItem`, `getECObyID`), but not
# the end of a capitalised one (`getDNSForSite`: `For`, read by `_CAMEL_1`, not `DNSF` and `or`).
_ACRONYM_THEN_WORD = re.compile(
    r"(?<=[A-Z]{2})(?<!F(?=or))(?=(?:by|for|of|to|from|with|and|or)(?![a-z]))"
)
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")
MEMO_CHARS = 64  # texts this short are split once per process (`snake_words`)
# Words written in mixed case that are one word (a reviewed list): `OAuth2` is oauth2, not
# o, auth2; `IPv6` ipv6, `GitHub` github, `MySQL` mysql. Only where the word ends (a capital,
# a digit, a non-letter or the end after it: not `LinkedInvoices`) and, for one that starts
# with a capital, where it starts (not after a capital: `AOAuth`; `RespondToAuth` has none).
_MIXED_CASE_WORDS = (
    "OAuth|GraphQL|GitHub|GitLab|MySQL|PostgreSQL|NoSQL|SQLite|MongoDB|DynamoDB|JavaScript|"
    "MySql|PostgreSql|NoSql|GraphQl|MongoDb|DynamoDb|"
    "TypeScript|YouTube|LinkedIn|PayPal|WordPress|DevOps|OpenAPI|OpenID|WebSocket|WebHook|"
    "IPv4|IPv6|SaaS|PaaS|IaaS|MacOS|HubSpot|QuickBooks|SendGrid|MailChimp|BigQuery"
)
_MIXED_CASE_LOWER = "oAuth|iOS|macOS|tvOS|watchOS|iPadOS|iPhone|iPad|iCloud|eBay"
_WHOLE_WORD = re.compile(
    rf"(?:(?<![A-Za-z])(?:{_MIXED_CASE_LOWER})|(?<![A-Z])(?:{_MIXED_CASE_WORDS}))"
    r"[0-9]*(?:s(?![a-z]))?(?![a-z])"
)


def squashed(name: str) -> str:
    """`name` in lower case, letters and digits only: how names that differ only in case and
    punctuation compare (`agentID`, `AgentID`, `agent_id`; `next-token`, `NextToken`)."""
    return "".join(c for c in name.lower() if c.isalnum())


def snake_words(text: str) -> list[str]:
    """Split any identifier-ish text into lower-case words: `getHTTPResponse` -> get, http, ...
    A short text (a name: a build splits GitHub's 4,000 names 50,000 times) is split once."""
    if len(text) <= MEMO_CHARS:
        return list(_short_words(text))
    return _snake_words(text)


def env_words(text: str) -> list[str]:
    """The words of a name that makes an env var or a server's name, split as adaptgen always
    has split them (`OAuth2` -> o, auth2; no whole mixed-case words): a deployment sets these
    names, so a better reading of a word must not move them (`BOX_OPENAPI_O_AUTH2_..._TOKEN`)."""
    return _snake_words(text, whole=False)


@lru_cache(maxsize=16384)
def _short_words(text: str) -> tuple[str, ...]:
    return tuple(_snake_words(text))


def _snake_words(text: str, whole: bool = True) -> list[str]:
    if whole and any(c.isupper() for c in text):
        text = _WHOLE_WORD.sub(lambda m: f"_{m[0].lower()}_", text)
    text = _ACRONYM_THEN_WORD.sub("_", text)
    text = _CAMEL_1.sub("_", text)
    text = _CAMEL_2.sub(r"\1_\2", text)
    return [w for w in _NON_WORD.split(text.lower()) if w]


# Where a sentence ends: its stop (a closing quote or bracket may follow), spaces, then a capital,
# a digit or an opening quote or bracket, markdown's emphasis first or not (`**Note:** ...`).
# Not inside `v1.2` (no space), not after an
# abbreviation (`e.g. Bob`, `a U.S. number`), not after `No.` before a number (`No. 5`).
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[*_]{0,2}[A-Z0-9`\"'(\[])")
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|incl|approx|Mr|Mrs|Ms|Dr|St)|\b[A-Z])\.[\"')\]]?$"
)
_NUMBER_SIGN = re.compile(r"\bNo\.$")


def sentences(text: str) -> list[str]:
    """One paragraph of prose cut into its sentences, in order, each as written (the text whole
    when it is one). The one splitter of every place that keeps a text's leading sentences."""
    found, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        before = text[start : end.start()]
        if _ABBREVIATION.search(before) or (
            _NUMBER_SIGN.search(before) and text[end.end() : end.end() + 1].isdigit()
        ):
            continue
        found.append(before)
        start = end.end()
    return [*found, text[start:]]


# Nouns that end in -s in the singular, or are the same in both (`/series/{id}` is one series:
# `get_series`, not `get_sery`; `/hdfs/{id}` is one HDFS, not an `hdf`); and nouns in -ie,
# whose plural is no -y word's (`movies`).
_SINGULAR_IN_S = frozenset(
    ("series", "species", "news", "alias", "bias", "canvas", "atlas", "lens", "chaos", "kudos")
    + ("hdfs", "cors")
)
_BOTH_NUMBERS = frozenset(("series", "species", "news", "hdfs"))  # one series, many series
_CHE_NOUNS = frozenset(
    ("cache", "niche", "headache", "avalanche", "moustache", "mustache", "quiche", "cliche")
)
_IE_NOUNS = frozenset(
    ("movie", "cookie", "calorie", "zombie", "rookie", "selfie", "goalie", "freebie", "newbie")
    + ("hoodie", "smoothie", "brownie", "sortie", "genie", "prairie", "pixie", "birdie")
)


# The last word of a path placeholder that is one thing's id (not `ids`, `filter`, `year`).
ID_WORDS = frozenset(("id", "uuid", "guid", "gid", "sid", "key", "number", "name", "slug", "code"))
# A format suffix a path segment may carry (`/users.json`).
FORMAT_SUFFIX = re.compile(r"\.(?:json|xml|csv|yaml|txt)$", re.IGNORECASE)


def singular(word: str) -> str:
    """An English plural made singular, for resource names (`aliases` -> `alias`)."""
    if word in _SINGULAR_IN_S:
        return word
    if word.endswith("es") and word[:-2] in _SINGULAR_IN_S:
        return word[:-2]  # `canvases`, `lenses`
    if word.endswith("ies") and word[:-1] in _IE_NOUNS:
        return word[:-1]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ches") and word[:-1] in _CHE_NOUNS:
        return word[:-1]  # `caches` (not `cach`)
    if word.endswith(("sses", "xes", "ches", "shes", "uses", "iases")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")) and len(word) > 3:
        return word[:-1]
    return word


def plural(word: str) -> bool:
    """Whether a noun can be a plural (`users`, `categories`, `series`; not `alias`)."""
    return singular(word) != word or word in _BOTH_NUMBERS


def did_you_mean(word: str, choices: list[str]) -> str:
    """` (did you mean 'x'?)` when a choice is close, else empty."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# Verbs that start an operation's name: REST's own, and the actions APIs name (shared by the
# planner's naming and the search index, which must not import the planner at run time).
_REST_VERB_WORDS = (
    "list get create update delete replace patch set add remove search find fetch read "
    "upsert query count show check describe"
)
_ACTION_VERB_WORDS = """
    send resend post put cancel merge archive unarchive approve reject deny dismiss accept
    decline restrict unrestrict assign unassign invite join leave kick open close reopen
    rename move copy clone duplicate upload download import export sync publish unpublish push
    test verify validate confirm enable disable start stop end pause resume restart reset
    restore revoke refresh renew rotate generate regenerate lock unlock pin unpin star unstar
    follow unfollow block unblock mute unmute subscribe unsubscribe request render compare
    convert transfer preview run rerun retry rerequest redeliver ping trigger dispatch execute
    apply complete purge mark submit resolve schedule unschedule unfurl install uninstall
    connect disconnect exchange invalidate provision deprovision instantiate insert lookup
    share unshare log login logout register unregister authorize authenticate sign attach
    detach link unlink notify deliver acknowledge activate deactivate suspend unsuspend replay
    calculate estimate evaluate translate refund capture charge void save store clear modify
    edit change destroy erase increment decrement reorder transition reverse reconcile amend
    settle retrieve terminate reactivate reboot reimage redeploy resize kill abort ban unban
    deauthorize shutdown promote demote downgrade unpause unmap reassign resubmit reindex
    rollback migrate classify predict analyze hide unhide unflag encrypt decrypt evict cordon
    uncordon escalate snooze undismiss upvote downvote retweet reinstall recalculate reprocess
    rebuild relaunch wait untag associate disassociate deregister detect configure withdraw
    assume advertise increase decrease append prepend deploy undeploy undelete enroll unenroll
    upgrade annotate revert flush redact allocate deallocate respond discover initialize
    finalize reschedule launch abandon deidentify reimport deprecate undeprecate replicate
    recognize infer expire reserve rescore"""

REST_VERBS = frozenset(_REST_VERB_WORDS.split())
ACTION_VERBS = frozenset(_ACTION_VERB_WORDS.split())
VERBS = REST_VERBS | ACTION_VERBS


def acts_by_path(method: str, path: str, name: list[str]) -> bool:
    """Whether a name's first word is a verb because the path says so: a POST whose last
    segment is that one word, the rest of the name being things the path names (Meraki's
    `rebootNetworkDevice` on `/networks/{id}/devices/{serial}/reboot`). Not `sentimentAnalysis`
    on `/sentiment`: `analysis` is no thing of the path, so `sentiment` is its noun."""
    parts = [s for s in path.strip("/").split("/") if s]
    if method.lower() != "post" or len(name) < 2 or not parts or parts[-1].startswith("{"):
        return False
    verb = name[0]
    if snake_words(parts[-1]) != [verb] or plural(verb) or verb.endswith("ing"):
        return False  # `/messages`, `/shipping`: a plural or a gerund names a thing
    named = {singular(w) for s in parts[:-1] if not s.startswith("{") for w in snake_words(s)}
    return all(singular(w) in named for w in name[1:])


# OData's key predicate: one entity of a set by its key, written in the set's own segment
# (`/A_BusinessPartner('{BusinessPartner}')`, `/Products({ID})`, a composite key
# `/A_SalesOrderItem(SalesOrder='{SalesOrder}',SalesOrderItem='{SalesOrderItem}')`).
_KEY_VALUE = r"(?:\w+=)?'?\{[^{}/]+\}'?"
# A name with a dot is a namespace's function and its arguments, not a set and its key
# (Graph's `/reports/microsoft.graph.getEmailActivityUserDetail(period='{period}')`).
_KEY_PREDICATE = re.compile(
    rf"(?P<set>[^/(){{}}=,'.]+)\((?P<keys>{_KEY_VALUE}(?:,{_KEY_VALUE})*)\)"
)
_PLACEHOLDER = re.compile(r"\{[^{}/]+\}")
# SAP's navigation properties: `to_BusinessPartnerAddress` after a key predicate
_NAVIGATION = re.compile(r"to_(?=[A-Z])")
# A one-letter namespace before a CamelCase name: SAP's `A_` (released APIs), `I_`, `C_` views.
_NAMESPACE_LETTER = re.compile(r"[A-Z]_(?=[A-Z][a-z])")


def plain_path(path: str) -> str:
    """`path` as names and search read it: each OData key predicate written as REST writes one
    thing of a collection, and SAP's namespace letter and `to_` of a navigation property left
    out: `/A_BusinessPartner('{BusinessPartner}')/to_BusinessPartnerAddress` is read as
    `/BusinessPartner/{BusinessPartner}/BusinessPartnerAddress` (a composite key by its last
    part). The request is sent to the path as written. Any other path is as it is."""
    if "(" not in path and "_" not in path:
        return path
    out: list[str] = []
    for name, key in _plain_segments(path):
        out += [name, key] if key else [name]
    return "/".join(out)


def keyed_sets(paths: Iterable[str]) -> frozenset[str]:
    """The OData entity sets `paths` read one entity of by a key predicate, as `plain_path`
    writes them (`BusinessPartner`): collections, whatever the number of their names."""
    return frozenset(
        name for path in paths if "(" in path for name, key in _plain_segments(path) if key
    )


def _plain_segments(path: str) -> Iterable[tuple[str, str | None]]:
    """Each segment of `path` as `plain_path` reads it, with the placeholder of its key
    predicate (None: no key predicate)."""
    keyed = False
    for segment in path.split("/"):
        match = _KEY_PREDICATE.fullmatch(segment)
        name = match["set"] if match else segment
        if keyed and _NAVIGATION.match(name):
            name = name[3:]
        if _NAMESPACE_LETTER.match(name):
            name = name[2:]
        yield name, _PLACEHOLDER.findall(match["keys"])[-1] if match else None
        keyed = match is not None


def item_collection(path: str) -> str | None:
    """The collection whose one thing a path ends in, by its id: `maintenances` of
    `/maintenances/{maintenanceId}`, `Policies` of `/Policies/{Sid}` (as written, lower case);
    None for another thing's id (`/users-summary/{InstanceId}`), `/categories/{category}`,
    `/{Bucket}/{Key}` and `/Standings/{season}`."""
    segments = [FORMAT_SUFFIX.sub("", s) for s in path.strip("/").split("/") if s]
    if len(segments) < 2 or not segments[-1].startswith("{") or segments[-2].startswith("{"):
        return None
    said = snake_words(segments[-1].strip("{}"))
    held = snake_words(segments[-2])[-1:]
    if not said or not held or not plural(held[0]):
        return None  # the segment before names no collection
    if said[-1] not in ID_WORDS or (len(said) > 1 and singular(held[0]) not in said):
        return None
    return held[0]
