"""STAND-IN, NOT THE REAL MODULE: the channels helper owns alerts/channels/config.py.

Written in the `rules` branch only so alerts.spec can validate channel entries before the
channels helper's version lands; at merge take the channels helper's file. It follows the contract
(/work/wt/ALERTS_CONTRACT.md): WebhookChannel(name, url, format, headers), EmailChannel(name, to),
InAppChannel(name="in-app"), parse_channel(name, raw) raising ChannelConfigError whose `problems`
hold every bad key (each with key, path, message, hint). It checks only the keys each type needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from located_yaml import KeyPath, format_path
from metric_layer.suggest import did_you_mean

IN_APP = "in-app"
TYPES = ("webhook", "email")
FORMATS = ("slack", "json")
KEYS = {"webhook": ("type", "url", "format", "headers"), "email": ("type", "to")}


class ChannelConfigError(ValueError):
    """Bad keys of one channel entry; `problems` lists each (the first is this error)."""

    def __init__(self, path: KeyPath, message: str, hint: str = "") -> None:
        self.path, self.key = path, format_path(path)
        self.message, self.hint = message, hint
        self.problems: tuple[ChannelConfigError, ...] = (self,)
        super().__init__(f"{self.key}: {message}" if self.key else message)


@dataclass(frozen=True)
class WebhookChannel:
    name: str
    url: str  # may hold ${ENV} references, expanded only when sending
    format: str = "json"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EmailChannel:
    name: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class InAppChannel:
    name: str = IN_APP


Channel = WebhookChannel | EmailChannel | InAppChannel


def parse_channel(name: str, raw: Any) -> Channel:
    if not isinstance(raw, Mapping):
        raise ChannelConfigError((), "a channel must be a mapping with a `type`")
    kind = raw.get("type")
    if kind not in TYPES:
        hint = did_you_mean(str(kind), TYPES) or f"types: {', '.join(TYPES)}"
        raise ChannelConfigError(("type",), f"unknown channel type {kind!r}", hint)
    problems = [
        ChannelConfigError(
            (key,), f"unknown key for a {kind} channel", did_you_mean(key, KEYS[kind]) or ""
        )
        for key in raw
        if key not in KEYS[kind]
    ]
    if kind == "webhook":
        if not isinstance(raw.get("url"), str):
            problems.append(ChannelConfigError(("url",), "missing", 'add url: "${HOOK_URL}"'))
        if raw.get("format", "json") not in FORMATS:
            problems.append(ChannelConfigError(("format",), f"unknown format {raw['format']!r}"))
    elif not isinstance(raw.get("to"), list) or not raw["to"]:
        problems.append(ChannelConfigError(("to",), "missing", "a list of addresses"))
    if problems:
        problems[0].problems = tuple(problems)
        raise problems[0]
    if kind == "webhook":
        headers = tuple((str(k), str(v)) for k, v in (raw.get("headers") or {}).items())
        return WebhookChannel(name, raw["url"], raw.get("format", "json"), headers)
    return EmailChannel(name, tuple(str(a) for a in raw["to"]))
