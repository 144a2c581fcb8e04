"""The numbers behind a chart as a sortable ag-grid: raw values sort, formatted text shows."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash_ag_grid as dag
import pandas as pd

from dashboard.formatting import format_change, format_value, period_label, relative_change


def table_rows(
    frame: pd.DataFrame,
    metric: Any,
    grain: str,
    dimension: str | None,
    currency: str,
    end: date | None = None,
) -> list[dict]:
    """One row per period (× segment); `end` is grain `all`'s last day, for its label."""
    compare = f"{metric.name}__compare"
    rows = []
    for rec in frame.to_dict("records"):
        value = rec[metric.name]
        base = rec.get(compare)
        change = relative_change(value, base) if compare in rec and not rec["is_partial"] else None
        row = {
            "period": rec["period"].isoformat(),
            "period_text": period_label(rec["period"], grain, end)
            + (" (partial)" if rec["is_partial"] else ""),
            "value": None if pd.isna(value) else float(value),
            "value_text": format_value(value, metric, currency),
            "compare": None if base is None or pd.isna(base) else float(base),
            "compare_text": format_value(base, metric, currency),
            "change": change,
            "change_text": format_change(change),
        }
        if dimension:
            row["segment"] = str(rec[dimension])
        rows.append(row)
    return rows


def _shown(field: str) -> dict[str, str]:
    return {"function": f"params.data.{field}_text"}


def metric_grid(
    grid_id: str,
    frame: pd.DataFrame,
    metric: Any,
    grain: str,
    dimension: str | None,
    has_compare: bool,
    currency: str,
    end: date | None = None,
) -> dag.AgGrid:
    rows = table_rows(frame, metric, grain, dimension, currency, end)
    columns: list[dict[str, Any]] = [
        {
            "field": "period",
            "headerName": "Period",
            "valueFormatter": _shown("period"),
            "sort": "desc",
            "minWidth": 250 if grain == "all" else 180,  # a range's label is long
            "flex": 2 if grain == "all" else 1,
        },
    ]
    if dimension:
        columns.append({"field": "segment", "headerName": dimension.replace("_", " ").capitalize()})
    columns.append(
        {
            "field": "value",
            "headerName": metric.title,
            "valueFormatter": _shown("value"),
            "type": "rightAligned",
        }
    )
    if has_compare:
        columns += [
            {
                "field": "compare",
                "headerName": "Compared with",
                "valueFormatter": _shown("compare"),
                "type": "rightAligned",
            },
            {
                "field": "change",
                "headerName": "Change",
                "valueFormatter": _shown("change"),
                "type": "rightAligned",
            },
        ]
    small = len(rows) <= 60
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True, "flex": 1},
        dashGridOptions={"domLayout": "autoHeight"}
        if small
        else {"pagination": True, "paginationPageSize": 50},
        style={"height": None} if small else {"height": 560},
        className="ag-theme-quartz",
    )
