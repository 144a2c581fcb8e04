"""Send one payload to a webhook: Slack-compatible blocks (`format: slack`) or the payload as JSON
with a `text` line (`format: json`; Slack, Teams workflows and most chat hooks show `text`).

${ENV} references in the URL and headers are expanded here, at send time, from the environment
the caller passes. What they resolved to is secret (a Slack hooks URL is its own credential), so
failures are described in our own words naming only scheme and host, and anything a server or
library said is redacted before it reaches the DeliveryError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from alerts.channels.config import WebhookChannel
from alerts.channels.errors import DeliveryError
from alerts.channels.message import absolute, alert_message, plain_text
from alerts.channels.payload import is_report
from env_refs import ENV_REF, MissingVariable, expand, redact

TIMEOUT = (5.0, 15.0)  # seconds to connect, seconds between bytes of the answer
_SNIPPET = 200  # characters of a failing answer kept in the error


@dataclass(frozen=True)
class ResolvedHook:
    url: str
    headers: dict[str, str]
    secrets: frozenset[str]
    where: str  # scheme://host[:port]: what messages may name


def resolve(channel: WebhookChannel, environ: Mapping[str, str]) -> ResolvedHook:
    """The channel's URL and headers with references expanded; DeliveryError names a missing
    variable (never a value)."""
    secrets: set[str] = set()
    try:
        url, values = expand(channel.url, environ)
        if ENV_REF.fullmatch(channel.url):  # the whole URL is secret beyond its host
            parts = urlsplit(url)
            secrets |= {p for p in (parts.username, parts.password) if p}
            secrets |= {p for p in (parts.path.strip("/"), parts.query, parts.fragment) if p}
        else:
            secrets |= set(values)
        headers = {}
        for name, template in channel.headers:
            headers[name], values = expand(template, environ)
            secrets |= set(values)
    except MissingVariable as exc:
        raise DeliveryError(
            f"webhook {channel.name}: environment variable {exc.name} is not set; "
            f"export {exc.name} in the worker's environment"
        ) from None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(
            f"webhook {channel.name}: the URL is not an http:// or https:// URL "
            "(check the variable its `url` names)"
        )
    where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return ResolvedHook(url=url, headers=headers, secrets=frozenset(secrets), where=where)


def send_webhook(
    channel: WebhookChannel,
    payload: Mapping[str, Any],
    *,
    base_url: str,
    environ: Mapping[str, str],
    timeout: tuple[float, float] = TIMEOUT,
) -> None:
    """POST the payload; DeliveryError (redacted) unless the hook answers 2xx."""
    hook = resolve(channel, environ)
    body = (
        slack_body(payload, base_url) if channel.format == "slack" else json_body(payload, base_url)
    )
    prefix = f"webhook {channel.name}"
    try:
        # No redirects: a hook that moved should be fixed in the config, and following one
        # would send the body (and headers) somewhere nobody configured.
        response = requests.post(
            hook.url, json=body, headers=hook.headers, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout:
        raise DeliveryError(
            f"{prefix}: {hook.where} did not answer within {max(timeout):g} s"
        ) from None
    except requests.ConnectionError as exc:
        reason = redact(_reason(exc), hook.secrets)
        raise DeliveryError(f"{prefix}: cannot connect to {hook.where} ({reason})") from None
    except requests.RequestException as exc:
        raise DeliveryError(f"{prefix}: the request failed ({type(exc).__name__})") from None
    if not 200 <= response.status_code < 300:
        answer = " ".join(response.text[:_SNIPPET].split())
        answer = redact(answer, hook.secrets)
        raise DeliveryError(
            f"{prefix}: {hook.where} answered HTTP {response.status_code}"
            + (f": {answer}" if answer else "")
        )


def _reason(exc: Exception) -> str:
    """The operating system's words for a failed connection ("Connection refused")."""
    found = re.findall(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    return found[-1].strip() if found else type(exc).__name__


# -- bodies -----------------------------------------------------------------------------------
def json_body(payload: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The payload as it is, plus `text`; links made absolute so a receiver can open them."""
    if is_report(payload):
        return {
            "kind": "report",
            "subject": payload.get("subject", ""),
            "week": payload.get("week", ""),
            "text": payload.get("text", ""),
            "html": payload.get("html", ""),
            "link": report_link(payload, base_url),
        }
    message = alert_message(payload, base_url)
    return {**payload, "drivers_link": message.link, "text": plain_text(message)}


def slack_body(payload: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """Slack Block Kit: a header, the rule's words, the fields, top segments, a Drivers button."""
    if is_report(payload):
        return _slack_report(payload, base_url)
    m = alert_message(payload, base_url)
    blocks: list[dict[str, Any]] = [_header(m.title)]
    intro = "\n".join(mrkdwn(line) for line in (m.summary, m.detail) if line)
    if intro:
        blocks.append(_section(intro))
    blocks.append(
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": _cut(f"*{name}*\n{mrkdwn(value)}", 2000)}
                for name, value in m.fields[:10]  # Slack takes at most 10 fields
            ],
        }
    )
    if m.segments:
        lines = "\n".join(f"• {mrkdwn(s)}" for s in m.segments)
        blocks.append(_section(f"*Top segments*\n{lines}"))
    if m.link:
        blocks.append(_button("Why it moved (Drivers)", m.link))
    fallback = m.title + (f": {m.detail}" if m.detail else "")
    return {"text": mrkdwn(fallback), "blocks": blocks}


def _slack_report(payload: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    subject = str(payload.get("subject", "Weekly review"))
    link = report_link(payload, base_url)
    blocks = [_header(subject)]
    if payload.get("text"):
        blocks.append(_section(mrkdwn(str(payload["text"]))))
    blocks.append(_button("Open the report", link))
    return {"text": f"{mrkdwn(subject)} <{link}|Open the report>", "blocks": blocks}


def report_link(payload: Mapping[str, Any], base_url: str) -> str:
    """The payload's `link`, else the week's PDF download (the report's /report/<week>.pdf)."""
    week = payload.get("week")
    return absolute(str(payload.get("link") or (f"/report/{week}.pdf" if week else "/")), base_url)


def mrkdwn(text: str) -> str:
    """User text in Slack mrkdwn: &, < and > are control characters there."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, 150)}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, 3000)}}


def _button(label: str, url: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url[:3000]}
        ],
    }


def _cut(text: str, limit: int) -> str:
    """Slack refuses a whole message when one text is over its limit: shorten instead."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
