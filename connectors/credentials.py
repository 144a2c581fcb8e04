"""Secrets from ${ENV} references: which resolved values are secret, how they enter a URL, and
how every trace of them is removed from a message before it is printed, logged or stored.

A value is secret by where its reference stands: a URL's user-info (user:password), query or
fragment (and an http base URL's path, where some APIs put tokens), anything under `auth`,
`headers` or `params`, and an http endpoint's `path`. A reference that is a whole URL
(`url: ${DATABASE_URL}`) contributes its password and query. Hosts, ports, database names and
file paths are not secrets: hiding them would hide where an error happened.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

# redact lives in env_refs, shared with alert channels; connectors.credentials.redact stays.
from env_refs import redact as redact

URL_KEYS = {"url", "base_url"}
_SECRET_KEYS = {"token", "password", "value"}
_SECRET_SECTIONS = {"auth", "headers", "params"}


def secret_field(key_path: tuple) -> bool:
    """Whether a (non-URL) value at this key path holds a credential."""
    if _SECRET_SECTIONS & {k for k in key_path if isinstance(k, str)}:
        return True
    if key_path and key_path[-1] in _SECRET_KEYS:
        return True
    return "endpoints" in key_path and key_path[-1] == "path"


def url_part(template: str, start: int, end: int, key: str) -> str:
    """Which part of the URL template the reference at [start, end) stands in:
    'userinfo', 'secret' (query, fragment, an http path), 'whole' (the reference is the URL)
    or 'plain' (scheme, host, port, a database name)."""
    if start == 0 and end == len(template):
        return "whole"
    masked = template[:start] + "x" * (end - start) + template[end:]
    scheme_end = masked.find("://")
    if scheme_end < 0:
        return "plain"
    authority = scheme_end + 3
    authority_end = next(
        (i for i in range(authority, len(masked)) if masked[i] in "/?#"), len(masked)
    )
    at = masked.rfind("@", authority, authority_end)
    if authority <= start < at:
        return "userinfo"
    if start >= authority_end:
        query = masked.find("?", authority_end)
        fragment = masked.find("#", authority_end)
        after = min(i for i in (query, fragment, len(masked)) if i >= 0)
        if start >= after or key == "base_url":
            return "secret"
    return "plain"


def resolve_in_url(value: str, part: str, secrets: set[str]) -> str:
    """The text that replaces a reference in a URL; records what in it is secret."""
    if part == "userinfo":
        secrets.add(value)
        # Encoded, so that '@', '/' or ':' in a password cannot move the URL's host.
        return quote(value, safe="")
    if part == "secret":
        secrets.add(value)
    elif part == "whole":
        parts = urlsplit(value)
        for piece in (parts.password, parts.query, parts.fragment):
            if piece:
                secrets.update({piece, unquote(piece)})
    return value
