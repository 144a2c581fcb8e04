"""The weekly review record (复盘): what a review meeting was shown and what it left behind.

For one ISO week (`2026-W48`): the numbers of review mode's slides — the North Star against the
week before, last year and its target, why it moved (drivers' contributions, top segments), its
first drivers, the alert states — frozen from the metric layer when the review starts, with the
snapshot they came from (numbers.py); notes per slide, decisions, and action items with an owner
and a due date that every later review lists until they are done (store.py). compare.py computes
the frozen numbers again so a later data correction is shown beside them, never over them.

Pages (dashboard/pages/reviews.py) and the CLI (`northstar review …`) call these functions; this
package reads numbers only through a MetricService and writes only to the app database.
"""

from reviews.compare import Difference, compare_frozen
from reviews.errors import ReviewError
from reviews.numbers import FrozenSlide, week_numbers
from reviews.reading import get_action, get_review, latest_review, list_reviews, open_actions
from reviews.records import Action, ReviewRecord, ReviewSummary
from reviews.store import (
    add_action,
    add_decision,
    add_note,
    close_review,
    parse_due,
    set_action_done,
    start_review,
)
from reviews.weeks import IsoWeek, last_complete_week

__all__ = [
    "Action",
    "Difference",
    "FrozenSlide",
    "IsoWeek",
    "ReviewError",
    "ReviewRecord",
    "ReviewSummary",
    "add_action",
    "add_decision",
    "add_note",
    "close_review",
    "compare_frozen",
    "get_action",
    "get_review",
    "last_complete_week",
    "latest_review",
    "list_reviews",
    "open_actions",
    "parse_due",
    "set_action_done",
    "start_review",
    "week_numbers",
]
