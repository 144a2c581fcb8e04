"""Which alert rules the pages show: the one seam between the dashboard and alerts.spec.

`load_rules(metrics, spec)` reads the `alerts:` section of metrics.yml (or the alerts.yml beside
it) against the served spec; SpecError lists every problem (the Alerts page shows them and goes
on showing states and history). Pages call it through this module (`alert_rules.load_rules`),
so tests hand the page rules they built themselves.

WIRING (at merge): `return load_alerts(metrics, spec).rules` with
`from alerts.spec import load_alerts`. Until then no file declares rules to the pages and this
answers "no rules", which the page says in words.
"""

from __future__ import annotations

from pathlib import Path

from alerts.model import Rule
from metric_layer.spec import Spec


def load_rules(metrics: Path, spec: Spec) -> tuple[Rule, ...]:
    """The rules declared beside `metrics` (empty when there is no alerts section)."""
    del metrics, spec  # read by alerts.spec.load_alerts once wired (see module docstring)
    return ()
