"""What the `okrs:` section says, once validated: objectives, their key results, and the warnings
the seeds' advice gives (2-4 key results per objective).

Nothing here reads numbers: okrs.read gets a key result's values from the metric layer, okrs.score
turns them into scores, colours and pace, okrs.store keeps check-ins in the app database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from metric_layer.errors import SpecIssue
from metric_layer.query import DimensionFilter
from metric_layer.suggest import did_you_mean
from okrs.quarters import Quarter

ObjectiveType = Literal["committed", "aspirational", "learning"]
OBJECTIVE_TYPES: tuple[str, ...] = ("committed", "aspirational", "learning")
Level = Literal["company", "department", "team", "person"]
LEVELS: tuple[str, ...] = ("company", "department", "team", "person")  # top to bottom
Read = Literal["latest", "to_date", "average"]
READS: tuple[str, ...] = ("latest", "to_date", "average")
READ_WORDS = {
    "latest": "latest complete {grain}",
    "to_date": "quarter to date",
    "average": "average {grain} this quarter",
}
Direction = Literal["higher", "lower"]


class OkrError(ValueError):
    """A request about OKRs that cannot be done as asked (unknown objective, a value for a linked
    key result, a confidence out of range); the message says what to do."""


@dataclass(frozen=True)
class KeyResult:
    """A measurable outcome: read from a metric (`metric` set) or checked in by hand (`manual`)."""

    id: str
    title: str
    baseline: float
    target: float
    direction: Direction
    metric: str | None = None  # None: manual
    read: Read = "latest"
    grain: str = "week"  # latest / average: the period read; to_date: the sparkline's step
    filters: tuple[DimensionFilter, ...] = ()
    unit: str | None = None  # manual key results: what the number counts
    line: int | None = None

    @property
    def manual(self) -> bool:
        return self.metric is None

    def read_words(self) -> str:
        """`latest complete week`, `quarter to date`, `average week this quarter`, or `checked in`."""
        if self.manual:
            return "checked in by hand"
        return READ_WORDS[self.read].format(grain=self.grain)

    def definition(self) -> str:
        """One line saying exactly what is measured, kept with recorded values (spec edits do not
        rewrite what a past value meant)."""
        what = f"manual ({self.unit})" if self.manual else f"{self.metric}, {self.read_words()}"
        where = ", ".join(
            f"{f.dimension} {f.op} {','.join(map(str, f.values))}" for f in self.filters
        )
        scope = f" where {where}" if where else ""
        return f"{what}{scope}; {self.direction}: {_num(self.baseline)} → {_num(self.target)}"


@dataclass(frozen=True)
class Objective:
    id: str
    title: str
    owner: str
    quarter: Quarter
    type: ObjectiveType = "committed"
    level: Level = "company"
    team: str | None = None
    parent: str | None = None
    description: str = ""
    key_results: tuple[KeyResult, ...] = ()
    line: int | None = None

    def key_result(self, kr_id: str) -> KeyResult:
        for kr in self.key_results:
            if kr.id == kr_id:
                return kr
        hint = did_you_mean(kr_id, [k.id for k in self.key_results])
        known = ", ".join(k.id for k in self.key_results) or "none"
        raise OkrError(
            f"objective `{self.id}` has no key result `{kr_id}`; "
            + (hint or f"its key results: {known}")
        )


@dataclass(frozen=True)
class OkrsConfig:
    objectives: tuple[Objective, ...] = ()
    warnings: tuple[SpecIssue, ...] = ()
    file: str = ""  # where they are defined ("" when nowhere)
    defined: bool = field(default=False)  # an `okrs:` section or okrs.yml exists

    def quarters(self) -> list[Quarter]:
        return sorted({o.quarter for o in self.objectives})

    def of_quarter(self, quarter: Quarter) -> tuple[Objective, ...]:
        return tuple(o for o in self.objectives if o.quarter == quarter)

    def objective(self, objective_id: str) -> Objective:
        for objective in self.objectives:
            if objective.id == objective_id:
                return objective
        hint = did_you_mean(objective_id, [o.id for o in self.objectives])
        raise OkrError(
            f"no objective `{objective_id}`; "
            + (hint or "run `northstar okrs` to list them (ids in the first column)")
        )

    def key_result(self, ref: str) -> tuple[Objective, KeyResult]:
        """`objective.key_result` → both; OkrError saying what exists otherwise."""
        objective_id, dot, kr_id = ref.partition(".")
        if not dot or not objective_id or not kr_id:
            raise OkrError(
                f"{ref!r} does not name a key result; write OBJECTIVE.KEY_RESULT, "
                "e.g. grow_orders.weekly_orders (`northstar okrs` lists them)"
            )
        objective = self.objective(objective_id)
        return objective, objective.key_result(kr_id)


def _num(value: float) -> str:
    return f"{value:g}"
