"""Rollups: small tables maintained at load time that answer interactive queries fast.

(placeholder; filled in below)
"""

from __future__ import annotations


class RollupPlanner:
    def simple(self, *args, **kwargs):
        return None

    def activity(self, *args, **kwargs):
        return None

    @classmethod
    def available(cls, spec, column_types):
        return None


def build_rollups(warehouse, spec) -> None:
    """(placeholder)"""
