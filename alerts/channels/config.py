"""The channels of the alerts YAML: what each type needs, validated key by key.

```yaml
channels:
  growth-slack: {type: webhook, url: "${SLACK_WEBHOOK_URL}", format: slack}
  ops-hook: {type: webhook, url: "https://ops.example.com/hook", format: json,
             headers: {Authorization: "Bearer ${OPS_TOKEN}"}}
  team-mail: {type: email, to: [growth@example.com], subject_prefix: "[Growth]"}
```

Secrets are written as ${ENV} references and stay unexpanded here: they are expanded only when a
message is sent (alerts.channels.webhook), so a config can be validated, printed and kept without
them. A literal secret — a Slack hooks URL, a token in a query string, an Authorization header —
is refused with a hint saying which variable to use. `in-app` is built in and needs no entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from alerts.channels.errors import ChannelConfigError
from env_refs import ENV_REF, has_reference
from located_yaml import KeyPath
from metric_layer.suggest import did_you_mean

WebhookFormat = Literal["slack", "json"]
FORMATS: tuple[WebhookFormat, ...] = ("slack", "json")
IN_APP = "in-app"
TYPES = ("webhook", "email")  # what an entry may be; in-app needs none
DEFAULT_SUBJECT_PREFIX = "[Northstar]"


@dataclass(frozen=True)
class WebhookChannel:
    name: str
    url: str  # may hold ${ENV} references, expanded when sending
    format: WebhookFormat = "json"
    headers: tuple[tuple[str, str], ...] = ()  # (name, value), values may hold references

    @property
    def header_map(self) -> dict[str, str]:
        return dict(self.headers)


@dataclass(frozen=True)
class EmailChannel:
    name: str
    to: tuple[str, ...]
    subject_prefix: str = DEFAULT_SUBJECT_PREFIX


@dataclass(frozen=True)
class InAppChannel:
    name: str = IN_APP


Channel = WebhookChannel | EmailChannel | InAppChannel

KEYS = {
    "webhook": ("type", "url", "format", "headers"),
    "email": ("type", "to", "subject_prefix"),
}

# Webhook services whose URL path is itself the credential: such a URL must come from ${ENV}.
_TOKEN_PATH_HOSTS = {
    "hooks.slack.com": "Slack",
    "discord.com": "Discord",
    "discordapp.com": "Discord",
    "hooks.zapier.com": "Zapier",
    "webhook.office.com": "Microsoft Teams",
}
# Words of a header or query parameter name that say its value is a credential.
_SECRET_WORDS = {
    "auth", "authorization", "cookie", "credential", "credentials", "key", "pass", "passwd",
    "password", "pwd", "secret", "session", "sig", "signature", "token",
}  # fmt: skip
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def parse_channel(name: str, raw: Any) -> Channel:
    """A channel from its YAML entry; ChannelConfigError listing every bad key (`problems`)."""
    problems: list[ChannelConfigError] = []

    def problem(path: KeyPath, message: str, hint: str = "") -> None:
        problems.append(ChannelConfigError.at(path, message, hint))

    if name == IN_APP:
        raise ChannelConfigError.at(
            (), "`in-app` is the built-in channel and needs no entry", "remove this entry"
        )
    if not isinstance(raw, Mapping):
        raise ChannelConfigError.at(
            (), "a channel must be a mapping with a `type`", "e.g. {type: email, to: [a@b.com]}"
        )
    kind = raw.get("type")
    if kind is None:
        raise ChannelConfigError.at(("type",), "missing", "add `type: webhook` or `type: email`")
    if kind == IN_APP:
        raise ChannelConfigError.at(
            ("type",), "in-app is built in: list `in-app` in a rule's channels without an entry"
        )
    if kind not in TYPES:
        raise ChannelConfigError.at(
            ("type",),
            f"unknown channel type {kind!r}",
            did_you_mean(str(kind), TYPES) or f"types: {', '.join(TYPES)}",
        )
    for key in raw:
        if key not in KEYS[kind]:
            hint = did_you_mean(str(key), KEYS[kind]) or f"{kind} keys: {', '.join(KEYS[kind])}"
            problem((key,), f"unknown key for a {kind} channel", hint)
    channel = _webhook(name, raw, problem) if kind == "webhook" else _email(name, raw, problem)
    if problems:
        raise ChannelConfigError.all_of(problems)
    assert channel is not None  # every path that returns None recorded a problem
    return channel


def _webhook(name: str, raw: Mapping, problem) -> WebhookChannel | None:  # type: ignore[no-untyped-def]
    url = raw.get("url")
    if not isinstance(url, str) or not url.strip():
        problem(("url",), "missing", 'add url: "${HOOK_URL}" and export HOOK_URL in the worker')
        url = None
    else:
        url = url.strip()
        _check_url(url, problem)
    fmt = raw.get("format", "json")
    if fmt not in FORMATS:
        problem(
            ("format",),
            f"unknown format {fmt!r}",
            did_you_mean(str(fmt), FORMATS) or "slack (Slack blocks) or json (the payload)",
        )
    headers = _headers(raw.get("headers", {}), problem)
    if url is None or fmt not in FORMATS or headers is None:
        return None
    return WebhookChannel(name=name, url=url, format=fmt, headers=headers)


def _check_url(url: str, problem) -> None:  # type: ignore[no-untyped-def]
    if ENV_REF.fullmatch(url):
        return  # the whole URL comes from the environment: checked when sending
    parts = urlsplit(ENV_REF.sub("x", url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problem(("url",), "must be an http:// or https:// URL", 'e.g. url: "${SLACK_WEBHOOK_URL}"')
        return
    real = urlsplit(url)
    if real.password and not ENV_REF.fullmatch(real.password):
        problem(("url",), "the URL holds a literal password", "write it as ${HOOK_PASSWORD}")
    for key, value in parse_qsl(real.query, keep_blank_values=True):
        if value and _secret_name(key) and not has_reference(value):
            problem(
                ("url",),
                f"the URL's `{key}` parameter holds a literal secret",
                f"write it as ${{{_variable(key)}}} or put the whole URL in ${{HOOK_URL}}",
            )
    service = _token_path_service(parts.hostname or "")
    if service and parts.path.strip("/") and not has_reference(real.path):
        variable = f"{service.upper().replace(' ', '_')}_WEBHOOK_URL"
        problem(
            ("url",),
            f"a {service} webhook URL is itself the secret; never write it in the config",
            f'write url: "${{{variable}}}" and export {variable} in the worker\'s environment',
        )


def _token_path_service(host: str) -> str | None:
    host = host.lower()
    for known, service in _TOKEN_PATH_HOSTS.items():
        if host == known or host.endswith("." + known):
            return service
    return None


def _headers(raw: Any, problem) -> tuple[tuple[str, str], ...] | None:  # type: ignore[no-untyped-def]
    if not isinstance(raw, Mapping):
        problem(("headers",), "must be a mapping of header names to values")
        return None
    out: list[tuple[str, str]] = []
    ok = True
    for name, value in raw.items():
        path = ("headers", name)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9-]+", name):
            problem(path, "a header name is letters, digits and dashes")
            ok = False
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            problem(path, "a header value must be text")
            ok = False
            continue
        value = str(value)
        if "\r" in value or "\n" in value:
            problem(path, "a header value must be on one line")
            ok = False
        elif _secret_name(name) and not has_reference(value):
            variable = _variable(name)
            example = f"Bearer ${{{variable}}}" if name.lower() == "authorization" else None
            problem(
                path,
                "holds a literal secret",
                f"write it as an ${{ENV}} reference, e.g. {example or '${' + variable + '}'}, "
                f"and export {variable} in the worker's environment",
            )
            ok = False
        out.append((name, value))
    return tuple(out) if ok else None


def _secret_name(name: str) -> bool:
    """Whether a header or query parameter of this name carries a credential (X-Api-Key,
    access_token, apikey, Authorization, X-Hub-Signature…)."""
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    return any(w in _SECRET_WORDS or w.endswith(("token", "key", "secret")) for w in words)


def _variable(word: str) -> str:
    """A suggested variable name for a secret found under this key ("Authorization" → …)."""
    if word.lower() in ("authorization", "proxy-authorization"):
        return "HOOK_TOKEN"
    return "HOOK_" + re.sub(r"[^A-Z0-9]+", "_", word.upper()).strip("_")


def _email(name: str, raw: Mapping, problem) -> EmailChannel | None:  # type: ignore[no-untyped-def]
    to = raw.get("to")
    addresses = [to] if isinstance(to, str) else to
    if not addresses or not isinstance(addresses, list):
        problem(("to",), "missing", "add to: [team@example.com] (one or more addresses)")
        addresses = None
    else:
        bad = False
        for i, address in enumerate(addresses):
            if not isinstance(address, str) or not _ADDRESS.fullmatch(address.strip()):
                problem(
                    ("to", i) if isinstance(to, list) else ("to",),
                    f"{address!r} is not an email address",
                    "write a plain address such as growth@example.com",
                )
                bad = True
        addresses = None if bad else addresses
    prefix = raw.get("subject_prefix", DEFAULT_SUBJECT_PREFIX)
    if not isinstance(prefix, str) or "\n" in prefix or "\r" in prefix:
        problem(("subject_prefix",), "must be text on one line", 'e.g. subject_prefix: "[Growth]"')
        prefix = None
    if addresses is None or prefix is None:
        return None
    return EmailChannel(
        name=name, to=tuple(a.strip() for a in addresses), subject_prefix=prefix.strip()
    )
