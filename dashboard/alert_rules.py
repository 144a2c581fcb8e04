"""Which alert rules the pages show: the one seam between the dashboard and alerts.spec.

`load_rules(metrics, spec, sources)` reads the `alerts:` section of metrics.yml (or the
alerts.yml beside it) against the served spec, with alerts.spec.load_alerts as `northstar
validate` does; SpecError lists every problem (the Alerts page shows them and goes on showing
states and history). Tests replace `load_rules` with rules they built themselves.

Pages ask `configured_rules`, which keeps the answer on the Flask app until metrics.yml, the
alerts.yml beside it or the served spec changes: parsing the YAML costs about 35 ms, and the
Overview, the Explorer and every tick of review mode ask.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from alerts.model import Rule
from alerts.spec import load_alerts
from dashboard.spec_source import signature
from metric_layer.errors import SpecError
from metric_layer.spec import Spec

CACHE = "northstar.alert_rules"  # app.extensions: (key, spec, loader, rules or SpecError)
ALERTS_FILE = "alerts.yml"  # beside metrics.yml, holding `alerts:` (the contract's other place)


def load_rules(metrics: Path, spec: Spec, sources: Path | None = None) -> tuple[Rule, ...]:
    """The rules declared beside `metrics` (empty when there is no alerts section); `sources`
    names the sources freshness rules may watch (as `northstar validate` reads them)."""
    return load_alerts(metrics, spec, sources_path=sources).rules


def configured_rules(metrics: Path, spec: Spec, sources: Path | None = None) -> tuple[Rule, ...]:
    """`load_rules` for this app, read again only when a file or the spec changed."""
    loader = load_rules  # looked up now: a test may have replaced it
    key = (
        str(metrics),
        signature(metrics),
        signature(metrics.parent / ALERTS_FILE),
        signature(sources) if sources else None,
    )
    kept = current_app.extensions.get(CACHE)
    if kept is not None and kept[0] == key and kept[1] is spec and kept[2] is loader:
        answer = kept[3]
    else:
        try:
            answer = tuple(loader(metrics, spec, sources))
        except SpecError as exc:
            answer = exc
        current_app.extensions[CACHE] = (key, spec, loader, answer)
    if isinstance(answer, SpecError):
        raise answer
    return answer
