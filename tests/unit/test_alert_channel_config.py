"""Alert channels from YAML: each type's keys, and every bad key reported with a hint — literal
secrets (a Slack hooks URL, a token in a query, an Authorization header) refused."""

from __future__ import annotations

import pytest

from alerts.channels.config import (
    EmailChannel,
    InAppChannel,
    WebhookChannel,
    parse_channel,
)
from alerts.channels.errors import ChannelConfigError


def problems(raw: object, name: str = "hook") -> list[tuple[str, str, str]]:
    with pytest.raises(ChannelConfigError) as caught:
        parse_channel(name, raw)
    return [(p.key, p.message, p.hint) for p in caught.value.problems]


def test_webhook_keeps_references_unexpanded() -> None:
    channel = parse_channel(
        "ops-hook",
        {
            "type": "webhook",
            "url": "https://ops.example.com/hook?team=${TEAM}",
            "format": "json",
            "headers": {"Authorization": "Bearer ${OPS_TOKEN}", "X-Team": "growth"},
        },
    )
    assert channel == WebhookChannel(
        name="ops-hook",
        url="https://ops.example.com/hook?team=${TEAM}",
        format="json",
        headers=(("Authorization", "Bearer ${OPS_TOKEN}"), ("X-Team", "growth")),
    )
    assert channel.header_map["Authorization"] == "Bearer ${OPS_TOKEN}"


def test_slack_webhook_from_one_variable() -> None:
    channel = parse_channel(
        "growth-slack", {"type": "webhook", "url": "${SLACK_WEBHOOK_URL}", "format": "slack"}
    )
    assert channel == WebhookChannel("growth-slack", "${SLACK_WEBHOOK_URL}", "slack", ())


def test_email_takes_one_address_or_a_list() -> None:
    assert parse_channel("m", {"type": "email", "to": "growth@example.com"}) == EmailChannel(
        "m", ("growth@example.com",), "[Northstar]"
    )
    channel = parse_channel(
        "m",
        {
            "type": "email",
            "to": ["a@example.com", "b.c+x@mail.example.org"],
            "subject_prefix": "[Growth]",
        },
    )
    assert channel == EmailChannel("m", ("a@example.com", "b.c+x@mail.example.org"), "[Growth]")


def test_in_app_is_built_in() -> None:
    assert InAppChannel().name == "in-app"
    assert problems({"type": "email", "to": ["a@example.com"]}, name="in-app")[0][1].startswith(
        "`in-app` is the built-in channel"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"type": "webhok", "url": "https://x.example.com"}, [("type", "did you mean `webhook`?")]),
        ({"type": "sms"}, [("type", "types: webhook, email")]),
        ({"url": "https://x.example.com"}, [("type", "add `type: webhook` or `type: email`")]),
        (
            {"type": "webhook", "url": "https://x.example.com", "fromat": "json"},
            [("fromat", "did you mean `format`?")],
        ),
        (
            {"type": "webhook", "url": "https://x.example.com", "format": "slak"},
            [("format", "did you mean `slack`?")],
        ),
        (
            {"type": "webhook", "url": "ftp://x.example.com/hook"},
            [("url", 'e.g. url: "${SLACK_WEBHOOK_URL}"')],
        ),
        (
            {"type": "webhook"},
            [("url", 'add url: "${HOOK_URL}" and export HOOK_URL in the worker')],
        ),
        (
            {"type": "email", "to": ["growth@example.com", "not an address", "x@y"]},
            [
                ("to[1]", "write a plain address such as growth@example.com"),
                ("to[2]", "write a plain address such as growth@example.com"),
            ],
        ),
        (
            {"type": "email", "to": []},
            [("to", "add to: [team@example.com] (one or more addresses)")],
        ),
        (
            {"type": "email", "to": "a@example.com", "subject": "x"},
            [("subject", "did you mean `subject_prefix`?")],
        ),
    ],
)
def test_bad_keys_each_get_a_hint(raw: dict, expected: list[tuple[str, str]]) -> None:
    assert [(key, hint) for key, _, hint in problems(raw)] == expected


def test_every_bad_key_is_reported_at_once() -> None:
    found = problems(
        {
            "type": "webhook",
            "url": "https://hooks.slack.com/services/T0001/B0002/abcdefSECRET",
            "format": "xml",
            "headers": {"Authorization": "Bearer abc123", "X-Api-Key": 42},
            "retries": 3,
        }
    )
    assert [key for key, _, _ in found] == [
        "retries",
        "url",
        "format",
        "headers.Authorization",
        "headers.X-Api-Key",
    ]


@pytest.mark.parametrize(
    ("url", "hint_has"),
    [
        ("https://hooks.slack.com/services/T0001/B0002/abcdefSECRET", "${SLACK_WEBHOOK_URL}"),
        ("https://discord.com/api/webhooks/123/tok", "${DISCORD_WEBHOOK_URL}"),
        ("https://acme.webhook.office.com/webhookb2/abc", "${MICROSOFT_TEAMS_WEBHOOK_URL}"),
        ("https://ops.example.com/hook?token=abc123", "${HOOK_TOKEN}"),
        ("https://ops.example.com/hook?api_key=abc123", "${HOOK_API_KEY}"),
        ("https://ops.example.com/hook?sig=abc123&sv=1", "${HOOK_SIG}"),
        ("https://user:hunter22@ops.example.com/hook", "${HOOK_PASSWORD}"),
    ],
)
def test_literal_secret_in_a_url_is_refused(url: str, hint_has: str) -> None:
    ((key, message, hint),) = problems({"type": "webhook", "url": url})
    assert key == "url" and ("secret" in message or "password" in message)
    assert hint_has in hint


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/${SLACK_PATH}",
        "https://ops.example.com/hook?token=${HOOK_TOKEN}&team=growth",
        "https://user:${HOOK_PASSWORD}@ops.example.com/hook",
        "http://127.0.0.1:9000/hook",
        "https://ops.example.com/design?page=1",  # a word that merely contains "sig"
    ],
)
def test_references_and_plain_urls_are_accepted(url: str) -> None:
    assert parse_channel("hook", {"type": "webhook", "url": url}).url == url


@pytest.mark.parametrize(
    ("header", "value", "secret"),
    [
        ("Authorization", "Bearer abc", True),
        ("Authorization", "Basic dXNlcjpwYXNz", True),
        ("X-Api-Key", "k-123", True),
        ("X-Auth-Token", "tok-9z", True),
        ("Cookie", "session=1", True),
        ("X-Hub-Signature", "sha1=ab12", True),
        ("Authorization", "Bearer ${OPS_TOKEN}", False),
        ("Content-Type", "application/json", False),
        ("X-Team", "growth", False),
    ],
)
def test_header_secrets_must_be_references(header: str, value: str, secret: bool) -> None:
    raw = {"type": "webhook", "url": "https://ops.example.com/hook", "headers": {header: value}}
    if not secret:
        assert parse_channel("hook", raw).header_map == {header: value}
        return
    ((key, message, hint),) = problems(raw)
    assert (key, message) == (f"headers.{header}", "holds a literal secret")
    assert "${" in hint and value not in hint


def test_a_header_on_two_lines_is_refused() -> None:
    raw = {"type": "webhook", "url": "https://x.example.com", "headers": {"X-A": "a\r\nX-B: b"}}
    assert problems(raw) == [("headers.X-A", "a header value must be on one line", "")]


def test_errors_carry_key_paths_for_line_numbers() -> None:
    with pytest.raises(ChannelConfigError) as caught:
        parse_channel("m", {"type": "email", "to": ["ok@example.com", "bad"]})
    assert caught.value.path == ("to", 1)
    assert str(caught.value) == (
        "to[1]: 'bad' is not an email address (write a plain address such as growth@example.com)"
    )


def test_every_channel_key_and_smtp_setting_is_documented() -> None:
    from dataclasses import fields
    from pathlib import Path

    from alerts.channels.config import KEYS
    from settings import Settings

    root = Path(__file__).parents[2]
    doc = (root / "docs" / "alert-channels.md").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    for key in {k for keys in KEYS.values() for k in keys}:
        assert f"`{key}`" in doc, key
    for field in fields(Settings):
        if field.name.startswith("smtp_"):
            variable = f"NORTHSTAR_{field.name.upper()}"
            assert f"`{variable}`" in doc and f"`{variable}`" in readme, variable
            assert variable in (root / "settings.py").read_text(encoding="utf-8")
