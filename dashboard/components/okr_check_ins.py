"""An OKR key result's check-in panel on the board (okr_board.py): the form (a value for a
key result checked in by hand, confidence 0–10, progress, obstacles, help needed) and the history
under it. The form's ids carry the key result (`{"type": …, "kr": <objective>--<key_result>}`);
the OKR page's callbacks save what it holds."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from dashboard import ids
from dashboard.ids import okr_dom
from dashboard.okr_format import format_kr_value
from metric_layer.spec import Spec
from okrs.board import KeyResultRow
from okrs.store import CheckIn, RecordedValue

HISTORY_SHOWN = 12  # check-ins listed; older ones are counted


def check_in_panel(
    k: KeyResultRow, spec: Spec, refusal: str | None, recorded: list[RecordedValue]
) -> dmc.Accordion:
    """The check-in form (disabled, saying why, when `refusal` is given) and the history under
    it: check-ins newest first, then the values recorded each week."""
    count = len(k.check_ins)
    label = f"Check in · history ({count})" if count else "Check in"
    return dmc.Accordion(
        dmc.AccordionItem(
            [
                dmc.AccordionControl(label),
                dmc.AccordionPanel([_form(k, refusal), _history(k, spec, recorded)]),
            ],
            value="check-in",
        ),
        variant="default",
        chevronPosition="left",
        className="ns-okr-checkin",
    )


def _form(k: KeyResultRow, refusal: str | None) -> html.Div:
    ref, kr = okr_dom(k.ref), k.kr
    key = {"kr": ref}
    disabled = refusal is not None
    fields: list = []
    if kr.manual:
        fields.append(
            dmc.TextInput(
                id={"type": ids.OKR_CHECKIN_VALUE, **key},
                label=f"Value now ({kr.unit})",
                placeholder=f"{k.score.value:g}" if k.score.value is not None else "",
                w=160,
                disabled=disabled,
            )
        )
    fields.append(
        dmc.Select(
            id={"type": ids.OKR_CHECKIN_CONFIDENCE, **key},
            label="Confidence (0–10)",
            data=[str(i) for i in range(11)],
            placeholder="0 to 10",
            w=190,
            disabled=disabled,
            clearable=True,
        )
    )
    texts = [
        dmc.Textarea(
            id={"type": kind, **key},
            label=label,
            autosize=True,
            minRows=1,
            maxRows=4,
            disabled=disabled,
            style={"flex": 1, "minWidth": 200},
        )
        for kind, label in (
            (ids.OKR_CHECKIN_COMMENT, "Progress"),
            (ids.OKR_CHECKIN_OBSTACLES, "Obstacles"),
            (ids.OKR_CHECKIN_HELP, "Help needed"),
        )
    ]
    note = (
        dmc.Text(refusal, size="xs", c="dimmed")
        if disabled
        else dmc.Text(
            "Measured from the metric: check in your confidence and what is going on."
            if not kr.manual
            else "",
            size="xs",
            c="dimmed",
        )
    )
    return html.Div(
        [
            note,
            dmc.Group([*fields, *texts], align="flex-end", gap="sm", grow=False),
            dmc.Button(
                "Save check-in",
                id={"type": ids.OKR_CHECKIN_SAVE, **key},
                size="xs",
                mt="xs",
                disabled=disabled,
            ),
        ],
        className="ns-okr-form",
    )


def _history(k: KeyResultRow, spec: Spec, recorded: list[RecordedValue]) -> html.Div:
    zone = spec.time_zone
    items = [_check_in_line(c, zone) for c in k.check_ins[:HISTORY_SHOWN]]
    if recorded:

        def shown(value: float) -> str:
            return format_kr_value(k.kr, spec, value)

        weeks = " · ".join(
            f"wk {r.week:%d %b}: {shown(r.value) if r.value is not None else '–'}"
            for r in recorded[-8:]
        )
        items.append(dmc.Text(f"Recorded weekly: {weeks}", size="xs", c="dimmed"))
    if not items:
        items = [dmc.Text("No check-ins yet.", size="xs", c="dimmed")]
    more = len(k.check_ins) - HISTORY_SHOWN
    if more > 0:
        items.append(dmc.Text(f"… and {more} older check-ins", size="xs", c="dimmed"))
    return html.Div(items, className="ns-okr-history", id=f"okr-history-{okr_dom(k.ref)}")


def _check_in_line(c: CheckIn, zone: str) -> html.Div:
    at = c.at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    said = []
    if c.value is not None:
        said.append(f"value {c.value:,g}")
    if c.confidence is not None:
        said.append(f"confidence {c.confidence}/10")
    lines = [
        dmc.Text(
            [html.B(c.who), f" · {at:%Y-%m-%d %H:%M}", f" · {', '.join(said)}" if said else ""],
            size="xs",
        )
    ]
    for label, text in (
        ("", c.comment),
        ("Obstacles: ", c.obstacles),
        ("Help needed: ", c.help_needed),
    ):
        if text:
            lines.append(dmc.Text(f"{label}{text}", size="xs", c="dimmed", className="ns-okr-said"))
    return html.Div(lines, className="ns-okr-check-in")
