"""Every component id in one place, so pages, callbacks and browser tests agree."""

# Dash pages' own location component: control callbacks write the new URL here.
PAGES_LOCATION = "_pages_location"

# shell
SHELL = "shell"
COLOR_SCHEME = "colour-scheme"
FRESHNESS = "freshness-badge"
BANNER = "problems-banner"

# overview
OVERVIEW_VIEW = "overview-view"
OVERVIEW_GRAIN = "overview-grain"
OVERVIEW_BODY = "overview-body"
NSM_VALUE = "nsm-value"
OVERVIEW_WHY = "overview-why"  # the biggest mover's sentence, filled after the headline

# explorer
EXPLORER_VIEW = "explorer-view"
EXPLORER_METRIC = "explorer-metric"
EXPLORER_GRAIN = "explorer-grain"
EXPLORER_RANGE = "explorer-range"
EXPLORER_DATES = "explorer-dates"
EXPLORER_COMPARE = "explorer-compare"
EXPLORER_BY = "explorer-by"
EXPLORER_CHART = "explorer-chart"
EXPLORER_TOP = "explorer-top"
EXPLORER_FILTER_DIM = "explorer-filter-dimension"
EXPLORER_FILTER_VALUES = "explorer-filter-values"
EXPLORER_FILTER_OP = "explorer-filter-op"
EXPLORER_FILTER_NUMBER = "explorer-filter-number"
EXPLORER_FILTER_NUMBER_TO = "explorer-filter-number-to"  # the upper end of `between`
EXPLORER_FILTER_AND = "explorer-filter-and"
EXPLORER_FILTER_ADD = "explorer-filter-add"
EXPLORER_FILTER_HINT = "explorer-filter-hint"
EXPLORER_FILTER_KIND = "explorer-filter-kind"  # store: the picked name's kind (text, number)
EXPLORER_FILTER_REMOVE = "explorer-filter-remove"  # pattern id type, one per filter chip
EXPLORER_FILTERS = "explorer-filters"
EXPLORER_MESSAGE = "explorer-message"  # bad input to a control or an export
EXPLORER_BODY = "explorer-body"
EXPLORER_GRID = "explorer-grid"
EXPLORER_FIGURE = "explorer-figure"
EXPLORER_WHY = "explorer-why"  # the collapsed "Why did it move?" section
EXPLORER_WHY_BODY = "explorer-why-body"  # its answer, computed only once the section is open
EXPORT_CSV = "export-csv"
EXPORT_PNG = "export-png"
DOWNLOAD = "download"

# tree
TREE_VIEW = "tree-view"
TREE_GRAIN = "tree-grain"
TREE_BODY = "tree-body"
TREE_WHY_VIEW = "tree-why-view"  # rendered with the tree: its contributions fill in after it
TREE_EDGE = "tree-edge"  # pattern id type, one per child node: its contribution to the parent
TREE_WHY_MESSAGE = "tree-why-message"

# catalogue
CATALOG_SEARCH = "catalog-search"
CATALOG_BODY = "catalog-body"

# review
REVIEW_VIEW = "review-view"
REVIEW_TICK = "review-tick"
REVIEW_SLIDE = "review-slide"

# OKRs
OKRS_VIEW = "okrs-view"
OKRS_QUARTER = "okrs-quarter"
OKRS_BODY = "okrs-body"
OKRS_MESSAGE = "okrs-message"  # what a check-in did, or why it was refused
OKRS_REFRESH = "okrs-refresh"  # store: bumped after a check-in so the board reads it
# pattern ids, one per key result ({"type": …, "kr": "objective.key_result"})
OKR_CHECKIN_SAVE = "okr-checkin-save"
OKR_CHECKIN_VALUE = "okr-checkin-value"
OKR_CHECKIN_CONFIDENCE = "okr-checkin-confidence"
OKR_CHECKIN_OBSTACLES = "okr-checkin-obstacles"
OKR_CHECKIN_HELP = "okr-checkin-help"
OKR_CHECKIN_COMMENT = "okr-checkin-comment"
# alerts
ALERTS_VIEW = "alerts-view"
ALERTS_BODY = "alerts-body"
ALERTS_REFRESH = "alerts-refresh"  # store bumped by every write: the body reads the board again
ALERTS_TICK = "alerts-tick"
ALERTS_MESSAGE = "alerts-message"  # the answer to a write (done, or why not)
ALERTS_DB_PROBLEM = "alerts-db-problem"
ALERTS_NONE_FIRING = "alerts-none-firing"
ALERTS_FIRING = "alerts-firing"
ALERTS_RULES = "alerts-rules"
ALERTS_NO_RULES = "alerts-no-rules"
ALERTS_SILENCES = "alerts-silences"
ALERTS_DELIVERIES = "alerts-deliveries"
ALERTS_HISTORY = "alerts-history"
ALERTS_HISTORY_RULE = "alerts-history-rule"
ALERT_ACK_OPEN = "alert-ack-open"  # pattern id type: one per firing series
ALERT_ACK_MODAL = "alert-ack-modal"
ALERT_ACK_TARGET = "alert-ack-target"
ALERT_ACK_WHAT = "alert-ack-what"
ALERT_ACK_COMMENT = "alert-ack-comment"
ALERT_ACK_CONFIRM = "alert-ack-confirm"
ALERT_SILENCE_OPEN = "alert-silence-open"  # pattern id type: per series and per rule
ALERT_SILENCE_MODAL = "alert-silence-modal"
ALERT_SILENCE_TARGET = "alert-silence-target"
ALERT_SILENCE_WHAT = "alert-silence-what"
ALERT_SILENCE_SCOPE = "alert-silence-scope"
ALERT_SILENCE_DURATION = "alert-silence-duration"
ALERT_SILENCE_COMMENT = "alert-silence-comment"
ALERT_SILENCE_CONFIRM = "alert-silence-confirm"
ALERT_SILENCE_END = "alert-silence-end"  # pattern id type: one per silence in force
# markers of fired alerts on charts (data: the points they may sit on)
OVERVIEW_ALERT_MARKS = "overview-alert-marks"
OVERVIEW_TREND = "overview-trend"
EXPLORER_ALERT_MARKS = "explorer-alert-marks"
# the review record: /reviews (list), /reviews/<week> (one review), /review/record (the TV's)
REVIEWS_VIEW = "reviews-view"
REVIEWS_BODY = "reviews-body"
RECORD_VIEW = "record-view"  # store: the week shown
RECORD_VERSION = "record-version"  # store: bumped by every write, so the body renders again
RECORD_BODY = "record-body"
RECORD_MESSAGE = "record-message"  # what a write did, or why it was refused
RECORD_START = "record-start"
RECORD_NOTE_SLIDE = "record-note-slide"
RECORD_NOTE_TEXT = "record-note-text"
RECORD_NOTE_ADD = "record-note-add"
RECORD_DECISION_TEXT = "record-decision-text"
RECORD_DECISION_ADD = "record-decision-add"
RECORD_ACTION_TEXT = "record-action-text"
RECORD_ACTION_OWNER = "record-action-owner"
RECORD_ACTION_DUE = "record-action-due"
RECORD_ACTION_ADD = "record-action-add"
RECORD_ACTION_DONE = "record-action-done"  # pattern id type, one checkbox per action
TV_RECORD_VIEW = "tv-record-view"
TV_RECORD_BODY = "tv-record-body"


def okr_dom(ref: str) -> str:
    """An objective's id or `objective.key_result` as it appears in component ids: ids hold no
    dots (Dash reads `a.b` as a component and a property)."""
    return ref.replace(".", "--")
