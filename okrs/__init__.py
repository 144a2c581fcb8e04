"""OKRs scored from the metric layer (issue 15).

Objectives and key results are written in YAML (the `okrs:` section of metrics.yml, or okrs.yml
beside it) and validated like metrics.yml (okrs.spec → okrs.model). A linked key result's value is
read from the metric layer (okrs.read), a manual one's from its latest check-in; okrs.score turns
values into scores 0-1, colours and pace against a straight line from baseline to target through
the quarter; okrs.board arranges a quarter as the alignment tree company → team → person. Check-ins
and the worker's weekly values live in the app database (okrs.store, okrs.record).

No page, no warehouse handle: the CLI (cli/okr_commands.py) and the OKR page
(dashboard/pages/okrs.py) call these with a metric service or the web side's cached frames.
"""

from okrs.model import KeyResult, Objective, OkrError, OkrsConfig
from okrs.quarters import Quarter, QuarterError
from okrs.spec import load_okrs

__all__ = [
    "KeyResult",
    "Objective",
    "OkrError",
    "OkrsConfig",
    "Quarter",
    "QuarterError",
    "load_okrs",
]
