"""The DuckDB warehouse: the only package that imports duckdb."""

from warehouse.connection import Warehouse, WarehouseError, WarehouseLocked
from warehouse.snapshots import SnapshotStore

__all__ = ["SnapshotStore", "Warehouse", "WarehouseError", "WarehouseLocked"]
