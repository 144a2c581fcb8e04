"""The one error of the review record: a request that cannot be done as asked.

A ValueError, so the CLI's guard shows it as a usage error (exit 2) and pages show its message in
place; the message always says what to do instead."""


class ReviewError(ValueError):
    """A review request that cannot be done as asked; the message says what to do."""
