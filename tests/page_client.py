"""Load dashboard pages over HTTP the way the browser does, without a browser.

render(path) fetches the index and the layout, runs the page router and then every callback that
fires when a page loads (no prevent_initial_call, inputs present), again on the components each
answer adds, and returns every response. Tests read page bodies and status codes from them; the
same client works on a Flask test client and on a real server (gunicorn) by URL.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PAGES = ("/", "/metric/none", "/tree", "/catalog", "/review", "/drivers", "/alerts", "/okrs")
ROUTER_OUTPUT = "_pages_content"
LOCATION = "_pages_location"
PATTERN = "{pattern}"  # props key kind of the components with pattern-matching ids


@dataclass(frozen=True)
class Answer:
    what: str  # the URL or the callback output
    status: int
    text: str  # as sent: Dash escapes "/" in JSON as \u002f

    @property
    def readable(self) -> str:
        """The text with JSON escapes undone, so a path in it reads as a path."""
        try:
            return json.dumps(json.loads(self.text), ensure_ascii=False)
        except ValueError:
            return self.text


Fetch = Callable[[str, dict | None], tuple[int, str]]  # (path, JSON body or None for GET)


def flask_fetch(test_client: Any) -> Fetch:
    def fetch(path: str, body: dict | None) -> tuple[int, str]:
        resp = test_client.get(path) if body is None else test_client.post(path, json=body)
        return resp.status_code, resp.get_data(as_text=True)

    return fetch


def http_fetch(base_url: str, timeout: float = 30) -> Fetch:
    def fetch(path: str, body: dict | None) -> tuple[int, str]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            base_url + path, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    return fetch


def render(fetch: Fetch, path: str, search: str = "") -> list[Answer]:
    """Every response the browser gets when it opens path?search (see module docstring)."""
    answers = [
        Answer(path, *fetch(path + search, None)),
        Answer("layout", *fetch("/_dash-layout", None)),
    ]
    deps = json.loads(fetch("/_dash-dependencies", None)[1])
    props: dict[tuple[str, str], Any] = {}
    _collect(json.loads(answers[-1].text), props)
    props.update(
        {(LOCATION, "pathname"): path, (LOCATION, "search"): search, (LOCATION, "id"): LOCATION}
    )
    fired: set[str] = set()
    for _ in range(5):  # a page's callbacks chain at most a few levels deep
        ready = [d for d in deps if d["output"] not in fired and _fires(d, props)]
        if not ready:
            break
        for dep in ready:
            fired.add(dep["output"])
            status, text = fetch("/_dash-update-component", _payload(dep, props))
            answers.append(Answer(dep["output"], status, text))
            if status == 200:
                for cid, values in json.loads(text).get("response", {}).items():
                    for prop, value in values.items():
                        props[(cid, prop)] = value
                        _collect(value, props)
    return answers


def callback(fetch: Fetch, output: str, pathname: str = "/") -> Answer:
    """One callback fed by the page location only (the freshness badge, the banner)."""
    dep = next(
        d for d in json.loads(fetch("/_dash-dependencies", None)[1]) if d["output"] == output
    )
    return Answer(
        output, *fetch("/_dash-update-component", _payload(dep, {(LOCATION, "pathname"): pathname}))
    )


def _fires(dep: dict, props: dict) -> bool:
    if dep.get("clientside_function") or "@" in dep["output"]:
        return False
    inputs = [(i["id"], i["property"]) for i in dep["inputs"]]
    if dep.get("prevent_initial_call") and ROUTER_OUTPUT not in dep["output"]:
        return False  # the router fires when the location mounts; other such callbacks wait
    # A mounted component reports every input prop, set or not (unset ones as None).
    return all(isinstance(cid, str) and (cid, "id") in props for cid, _ in inputs)


def _payload(dep: dict, props: dict) -> dict:
    def entry(item: dict) -> dict:
        return {**item, "value": props.get((item["id"], item["property"]))}

    out = dep["output"]
    if out.startswith(".."):
        parts = [p.rsplit(".", 1) for p in out.strip(".").split("...")]
        outputs: Any = [_output(i, p, props) for i, p in parts]
    else:
        outputs = _output(*out.rsplit(".", 1), props)
    return {
        "output": out,
        "outputs": outputs,
        "inputs": [entry(i) for i in dep["inputs"]],
        "state": [entry(s) for s in dep.get("state", [])],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]],
    }


def _output(cid: str, prop: str, props: dict) -> Any:
    """An output as the browser sends it; a pattern (ALL) lists every mounted component it matches."""
    if not cid.startswith("{"):
        return {"id": cid, "property": prop}
    pattern = json.loads(cid)
    found = [v for (kind, _), v in props.items() if kind == PATTERN and _matches(v, pattern)]
    return [{"id": i, "property": prop} for i in found]


def _matches(cid: dict, pattern: dict) -> bool:
    return cid.keys() == pattern.keys() and all(
        v == ["ALL"] or cid[k] == v for k, v in pattern.items()
    )


def _collect(node: Any, props: dict) -> None:
    """Record (id, prop) → value for every component with a string id inside node."""
    if isinstance(node, list):
        for item in node:
            _collect(item, props)
    elif isinstance(node, dict):
        inner = node.get("props")
        if isinstance(inner, dict) and "type" in node:
            if isinstance(inner.get("id"), str):
                for prop, value in inner.items():
                    if prop != "children":
                        props.setdefault((inner["id"], prop), value)
            elif isinstance(inner.get("id"), dict):  # a pattern-matching id, for ALL outputs
                props[(PATTERN, json.dumps(inner["id"], sort_keys=True))] = inner["id"]
            for value in inner.values():
                _collect(value, props)
        else:
            for value in node.values():
                _collect(value, props)


def join_warm_ups(timeout: float = 120) -> None:
    """Wait for the snapshots' warm-up threads: one still querying would make closing fail."""
    for thread in threading.enumerate():
        if thread.name == "warm-up":
            thread.join(timeout)


def register_page_callbacks() -> None:
    """Dash hands the callbacks the pages register at import to the first app a process builds:
    when another test's app took them, import the pages again so the next app gets them too."""
    from dash import _callback

    pages = [m for name, m in sys.modules.items() if name.startswith("dashboard.pages.")]
    if pages and not _callback.GLOBAL_CALLBACK_MAP:
        for module in pages:
            importlib.reload(module)
