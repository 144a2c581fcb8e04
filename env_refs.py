"""${ENV_VAR} references, shared by sources.yml (connectors), alert channels (alerts) and the
warehouse engine's URL (settings): the pattern, expansion when a value is needed, and redaction of
what they resolved to.

A reference is `${NAME}` or `${NAME:-default}`. Configs keep references unexpanded where they can;
whoever expands one learns which values are secret and must pass every message that may hold
them through `redact` before it is printed, logged or stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, quote_plus, urlencode

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# Where a URL parser splits a value that was not encoded: each piece may leak on its own.
_DELIMITERS = re.compile(r"[\s@/:?#&=;,+%\[\]]+")
_SHORT = 4  # a piece shorter than this is hidden only where it stands alone, not inside words


class MissingVariable(LookupError):
    """A reference names an environment variable that is not set (and has no default)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"environment variable {name} is not set; export {name}=... and retry")
        self.name = name


def has_reference(text: str) -> bool:
    return ENV_REF.search(text) is not None


def expand(template: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """The template with every reference replaced, and the values that replaced them (in order).

    Raises MissingVariable for the first variable that is neither set nor defaulted: the error
    names the variable, never a value."""
    values: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            value = environ[name]
        elif default is not None:
            value = default
        else:
            raise MissingVariable(name)
        values.append(value)
        return value

    return ENV_REF.sub(substitute, template), values


def expand_url(template: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """expand() for a URL: a reference in its user:password part is percent-encoded, so that '@',
    '/' or ':' in a password cannot move the host. The values returned are the raw ones."""
    shape = ENV_REF.sub(lambda m: "x" * len(m.group(0)), template)
    _, at = _userinfo_span(shape)
    values: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        value, _ = expand(match.group(0), environ)
        values.append(value)
        return quote(value, safe="") if match.start() < at else value

    return ENV_REF.sub(substitute, template), values


def url_password(url: str) -> str | None:
    """The password of `url` as written (None without one), read from the text itself: from the
    first ':' after the user to the last '@' of the part before any query, so that a password
    holding '/' or '?' is found whole."""
    start, at = _userinfo_span(url)
    if at < 0:
        return None
    user_and_password = url[start:at]
    return user_and_password.split(":", 1)[1] if ":" in user_and_password else None


def mask_url(url: str, secret_params: tuple[str, ...] = ("password",)) -> str:
    """`url` as messages may print it: its password and the `secret_params` of its query as ***."""
    password = url_password(url)
    if password is not None:
        start, at = _userinfo_span(url)
        user = url[start:at].split(":", 1)[0]
        url = f"{url[:start]}{user}:***{url[at:]}"
    head, mark, query = url.partition("?")
    if not mark:
        return url
    pairs = [
        (k, "***" if k.lower() in secret_params else v)
        for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{head}?{urlencode(pairs, safe='*')}"


def _userinfo_span(url: str) -> tuple[int, int]:
    """(where the user starts, where its '@' stands), or (start, -1) when there is no user."""
    start = url.find("://") + 3 if "://" in url else 0
    end = url.find("?", start)
    at = url.rfind("@", start, end if end >= 0 else len(url))
    return start, at


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret, its percent-encoded forms and every piece of it by ***."""
    pattern = _pattern(frozenset(secrets))
    return pattern.sub("***", text) if pattern else text


def _pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    pieces: set[str] = set()
    for secret in secrets:
        forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
        pieces |= forms
        for form in forms:
            pieces |= set(_DELIMITERS.split(form))
    pieces.discard("")
    if not pieces:
        return None
    alternatives = [
        re.escape(p) if len(p) >= _SHORT else rf"(?<![A-Za-z0-9]){re.escape(p)}(?![A-Za-z0-9])"
        for p in sorted(pieces, key=len, reverse=True)  # longest first: no half-hidden secrets
    ]
    return re.compile("|".join(alternatives))
