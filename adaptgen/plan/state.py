"""What every part of the planner shares: the spec being planned and where warnings go.

The planner is one object made of one mixin per concern (operations, parameters, body,
security, chains); this base declares the state they all read, set up by `_Planner.__init__`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adaptgen.errors import BuildWarning, Location
from adaptgen.load.source import join_pointer
from adaptgen.plan.xml_body import XmlForms, says_unwrapped

if TYPE_CHECKING:
    from adaptgen.load import Spec
    from adaptgen.load.source import SourceFile
    from adaptgen.plan import PlanOptions
    from adaptgen.plan.pagination import Conventions
    from adaptgen.plan.schemas import SchemaInliner


class OperationProblem(Exception):
    """Raised while planning one operation; the operation is skipped with a warning."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.pointer = pointer


class PlannerState:
    """The state of one planning run (see `adaptgen.plan._Planner`)."""

    spec: Spec
    name: str
    options: PlanOptions
    doc: dict[str, Any]
    source: SourceFile
    inliner: SchemaInliner
    output_inliners: dict[int, SchemaInliner]  # response schemas' inliners, by max depth
    body_inliner: SchemaInliner  # updates' bodies (their nullable fields may be sent null)
    body_inliners: dict[tuple[int, bool], SchemaInliner]  # shallower, for bodies too large
    xml_forms: XmlForms | None  # how XML bodies are written and answers read (`plan.xml_body`)
    responses: dict[tuple[str, int], tuple[dict[str, Any] | None, list[str]]]  # by op, depth
    warnings: list[BuildWarning]
    env_prefix: str
    also_sent: set[str]  # scheme keys made by SecurityPlanning._also_sent
    said_once: set[str]  # warnings an API gets once, however many operations earn them
    paging: Conventions
    common_prefix: str
    collections: frozenset[str]  # the OData entity sets of the spec (`words.keyed_sets`)
    format_twins: frozenset[str]  # paths the same as another but a format suffix (`/ip.txt`)
    aws_actions: bool  # an AWS API: its operationIds are its actions' names (`aws_query.is_aws`)
    api_base: str  # the API's base URL (the first server's)
    planned_names: dict[str, list[str]]  # an operation's names, best first, by its pointer
    # a name two operations or more want first -> (the one it is kept for, all that want it)
    kept_names: dict[str, tuple[str, frozenset[str]]]
    named_paths: dict[str, str]  # a tool's name -> its operation's path

    def warn(self, pointer: str, message: str) -> None:
        """A located build warning."""
        self.warnings.append(BuildWarning(self.spec.location(pointer), message))

    def xml(self) -> XmlForms:
        """The XML forms of this spec's bodies and answers, made at the first one."""
        if self.xml_forms is None:
            self.xml_forms = XmlForms(self.spec.resolver, says_unwrapped(self.doc))
        return self.xml_forms

    def _hints_location(self, keys: tuple[str, ...]) -> Location | None:
        source = self.options.hints.source
        return source.location(join_pointer(*keys)) if source is not None else None
