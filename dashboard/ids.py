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
