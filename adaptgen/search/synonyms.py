"""The reviewed synonym table: words users say for what APIs name otherwise.

Each group is words that mean the same thing *to someone looking for an operation* in business
APIs in general. Nothing here is about one spec: a group earns its place when users and APIs
commonly disagree on the word (a user's "bug" is an API's "issue"; "client" is "customer").
A query word matches its group's other words at `SYNONYM_WEIGHT` of an exact match, so an API
that uses the user's own word still wins. Review changes like code: a wrong pair costs every
API. Verbs of intent (create/list/...) live in `intent.py`, not here.
"""

from __future__ import annotations

from adaptgen.search.text import stem

SYNONYM_WEIGHT = 0.6

_GROUPS = """
ticket issue bug defect
customer client buyer
bill invoice
note comment remark discussion reply feedback
person user member people teammate employee staff colleague who everyone contact participant hire
caller participant attendee
queue hold waiting
page alert incident
oncall on-call
repo repository
database db
org organization organisation company workspace
pr pull
folder directory dir
file document doc spreadsheet pdf
attachment upload
email mail e-mail
phone telephone line
sms text
call dial
message msg chat dm say said tell told text sms
channel conversation room dm
team group squad
label tag
star favorite favourite bookmark
hook webhook callback whenever
invite invitation
permission access grant role collaborator collaboration share
cancel abort stop halt
copy duplicate clone replicate
balance credit funds
key secret token credential
status state
avatar picture photo image media
meeting event appointment
emoji reaction thumbs upvote
admin administrator
subscribe follow watch
subscription watcher follower
approve accept
verify confirm
reject decline deny
payment charge pay
refund reimburse
order purchase
product item sku
price cost pricing
reminder remind nag chase
signer recipient
notification notify
conference meeting
version revision history
thumbnail preview
metadata property attribute field
deal opportunity
task todo
project board
milestone sprint
workflow pipeline ci
job run build
release deployment deploy
gist snippet
secret password
settings preference config configuration
log audit activity
trash recycle bin
search find
recent lately latest newest
restore revert rollback
restore unarchive undelete recover
recording audio
lead prospect
batch bulk mass
goal objective target okr
presence online offline away
mute silence snooze dnd quiet
hour time duration minute
column section lane stage
start trigger dispatch launch
link url bookmark
profile user
app application
choice option
recurring repeating recurrent
survey questionnaire
history trail
vacation holiday leave pto absence
"""


def _table() -> dict[str, tuple[str, ...]]:
    """Stem -> the other stems of its groups."""
    table: dict[str, set[str]] = {}
    for line in _GROUPS.strip().splitlines():
        stems = list(dict.fromkeys(stem(w.replace("-", "")) for w in line.split()))
        for s in stems:
            table.setdefault(s, set()).update(x for x in stems if x != s)
    return {s: tuple(sorted(others)) for s, others in sorted(table.items())}


SYNONYMS = _table()


def alternatives(term: str) -> tuple[str, ...]:
    """The other stems a query term also matches (at `SYNONYM_WEIGHT`)."""
    return SYNONYMS.get(term, ())
