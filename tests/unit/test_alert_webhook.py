"""Webhook delivery against a real HTTP server (pytest-httpserver): the Slack blocks and the JSON
body as received, ${ENV} expanded only when sending, and failures (5xx, timeouts, refused
connections, redirects, missing variables) as one line without any secret."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from alert_channel_samples import POINTS, sample_notification
from werkzeug import Request, Response

from alerts.channels.config import WebhookChannel, parse_channel
from alerts.channels.errors import DeliveryError
from alerts.channels.payload import notification_payload
from alerts.channels.webhook import send_webhook

BASE = "https://northstar.example.com"
TOKEN = "s3cr3t-Token-9f8e"
LINK = (
    f"{BASE}/drivers?metric=paid_orders&from=2026-11-23&to=2026-11-29"
    "&vs_from=2026-11-16&vs_to=2026-11-22"
)


def received(httpserver) -> list[Request]:  # type: ignore[no-untyped-def]
    return [request for request, _ in httpserver.log]


def hook(httpserver, fmt: str = "json", **headers: str) -> WebhookChannel:  # type: ignore[no-untyped-def]
    raw = {"type": "webhook", "url": "${HOOK_URL}", "format": fmt}
    if headers:
        raw["headers"] = headers
    return parse_channel("ops-hook", raw)  # type: ignore[return-value]


def env(httpserver, **more: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"HOOK_URL": httpserver.url_for("/hooks/T0001/B0002/xyzzySECRETpath"), **more}


def test_payload_is_json_with_every_field() -> None:
    payload = notification_payload(sample_notification(), points=POINTS)
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    assert payload["rule"] == "nsm_below_target" and payload["series"] == "region=South"
    assert payload["value"] == 12_220.0 and payload["period"] == "2026-11-23"
    assert payload["since"] == "2026-11-30T06:00:00" and payload["owners"] == [
        "CEO",
        "Growth <team>",
    ]
    assert payload["segments"][0] == {
        "label": "platform=android × region=South",
        "change": -1180.0,
        "share": 0.68,
        "effect": "rate",
    }
    assert payload["labels"] == {"team": "growth"} and payload["grain"] == "week"
    assert payload["points"][-1] == {"period": "2026-11-23", "value": 12_220.0}
    assert len(payload["points"]) == 8
    nan = notification_payload(sample_notification(value=float("nan")))
    assert nan["value"] is None and nan["points"] == []


def test_slack_blocks_as_received(httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request(
        "/hooks/T0001/B0002/xyzzySECRETpath", method="POST"
    ).respond_with_data("ok")
    payload = notification_payload(sample_notification(), points=POINTS)
    send_webhook(hook(httpserver, "slack"), payload, base_url=BASE, environ=env(httpserver))
    (request,) = received(httpserver)
    body = request.get_json()
    assert [b["type"] for b in body["blocks"]] == [
        "header",
        "section",
        "section",
        "section",
        "actions",
    ]
    assert body["blocks"][0]["text"] == {
        "type": "plain_text",
        "text": "[Firing] nsm_below_target (region=South)",
    }
    # The rule's own words with Slack's control characters escaped.
    assert body["blocks"][1]["text"]["text"] == (
        "Paid orders are below this quarter's &lt;b&gt;weekly&lt;/b&gt; target &amp; falling\n"
        "down 12.4% vs the week before (13,950 → 12,220)"
    )
    fields = [f["text"] for f in body["blocks"][2]["fields"]]
    assert fields == [
        "*Metric*\npaid_orders (region=South)",
        "*Value*\n12,220",
        "*Expected*\nat least 13,000",
        "*Period*\nweek of 2026-11-23",
        "*Since*\n2026-11-30 06:00 UTC",
        "*Severity*\ncritical",
        "*Owners*\nCEO, Growth &lt;team&gt;",
    ]
    assert body["blocks"][3]["text"]["text"] == (
        "*Top segments*\n"
        "• platform=android × region=South: -1,180 (68% of the change, rate)\n"
        "• channel=&lt;script&gt;alert(1)&lt;/script&gt;: -420 (24% of the change)"
    )
    button = body["blocks"][4]["elements"][0]
    assert button["url"] == LINK and button["type"] == "button"
    assert body["text"].startswith("[Firing] nsm_below_target (region=South): down 12.4%")


def test_json_body_is_the_payload_plus_text(httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/hooks/T0001/B0002/xyzzySECRETpath").respond_with_data("", 204)
    payload = notification_payload(sample_notification(), points=POINTS)
    channel = hook(httpserver, Authorization="Bearer ${OPS_TOKEN}")
    send_webhook(channel, payload, base_url=BASE, environ=env(httpserver, OPS_TOKEN=TOKEN))
    (request,) = received(httpserver)
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"  # expanded only now
    body = request.get_json()
    assert {k: v for k, v in body.items() if k not in ("text", "drivers_link")} == {
        k: v for k, v in payload.items() if k != "drivers_link"
    }
    assert body["drivers_link"] == LINK
    assert body["text"].splitlines()[:3] == [
        "[Firing] nsm_below_target (region=South)",
        "Paid orders are below this quarter's <b>weekly</b> target & falling",
        "down 12.4% vs the week before (13,950 → 12,220)",
    ]
    assert f"Why it moved: {LINK}" in body["text"]


REPORT = {
    "kind": "report",
    "subject": "Weekly review 2026-W48",
    "html": "<h1>Weekly review</h1>",
    "text": "Paid orders 12,220 (target 13,000)",
    "pdf_path": "/tmp/nowhere.pdf",
    "week": "2026-W48",
    "link": "/report?week=2026-W48",
}


def test_weekly_report_as_slack_text_and_link_and_as_json(httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/hooks/T0001/B0002/xyzzySECRETpath").respond_with_data("ok")
    send_webhook(hook(httpserver, "slack"), REPORT, base_url=BASE, environ=env(httpserver))
    send_webhook(hook(httpserver, "json"), REPORT, base_url=BASE, environ=env(httpserver))
    slack, plain = (r.get_json() for r in received(httpserver))
    link = f"{BASE}/report?week=2026-W48"
    assert slack["text"] == f"Weekly review 2026-W48 <{link}|Open the report>"
    assert slack["blocks"][-1]["elements"][0]["url"] == link
    assert plain == {
        "kind": "report",
        "subject": "Weekly review 2026-W48",
        "week": "2026-W48",
        "text": "Paid orders 12,220 (target 13,000)",
        "html": "<h1>Weekly review</h1>",
        "link": link,
    }


def test_missing_variable_names_the_variable_not_a_value(httpserver) -> None:  # type: ignore[no-untyped-def]
    channel = hook(httpserver, Authorization="Bearer ${OPS_TOKEN}")
    with pytest.raises(DeliveryError) as caught:
        send_webhook(channel, REPORT, base_url=BASE, environ=env(httpserver))
    assert str(caught.value) == (
        "webhook ops-hook: environment variable OPS_TOKEN is not set; "
        "export OPS_TOKEN in the worker's environment"
    )
    assert received(httpserver) == []


def test_a_server_error_is_one_line_without_the_secrets(httpserver) -> None:  # type: ignore[no-untyped-def]
    def echo(request: Request) -> Response:  # a server that repeats what it got, as some do
        return Response(
            f"boom\nno route for {request.path} with {request.headers['Authorization']}", 500
        )

    httpserver.expect_request("/hooks/T0001/B0002/xyzzySECRETpath").respond_with_handler(echo)
    channel = hook(httpserver, Authorization="Bearer ${OPS_TOKEN}")
    with pytest.raises(DeliveryError) as caught:
        send_webhook(channel, REPORT, base_url=BASE, environ=env(httpserver, OPS_TOKEN=TOKEN))
    message = str(caught.value)
    assert message.startswith(
        f"webhook ops-hook: http://localhost:{httpserver.port} answered HTTP 500: boom"
    )
    assert "\n" not in message
    for secret in (TOKEN, "xyzzySECRETpath", "T0001", "B0002"):
        assert secret not in message


def test_a_hook_that_does_not_answer_times_out(httpserver) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()

    def stall(_request: Request) -> Response:
        release.wait(10)  # until the test has seen the timeout
        return Response("late")

    httpserver.expect_request("/hooks/T0001/B0002/xyzzySECRETpath").respond_with_handler(stall)
    try:
        with pytest.raises(DeliveryError) as caught:
            send_webhook(
                hook(httpserver), REPORT, base_url=BASE, environ=env(httpserver), timeout=(2.0, 0.3)
            )
    finally:
        release.set()
    assert str(caught.value) == (
        f"webhook ops-hook: http://localhost:{httpserver.port} did not answer within 2 s"
    )


def test_nobody_listening() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environ = {"HOOK_URL": f"http://127.0.0.1:{port}/hooks/T0001/B0002/xyzzySECRETpath"}
    channel = parse_channel("ops-hook", {"type": "webhook", "url": "${HOOK_URL}"})
    with pytest.raises(DeliveryError) as caught:
        send_webhook(channel, REPORT, base_url=BASE, environ=environ)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"webhook ops-hook: cannot connect to http://127.0.0.1:{port} (Connection refused)"
    )


def test_a_redirect_is_not_followed(httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/hooks/T0001/B0002/xyzzySECRETpath").respond_with_data(
        "", 302, headers={"Location": "https://elsewhere.example.com/"}
    )
    with pytest.raises(DeliveryError, match=r"answered HTTP 302$"):
        send_webhook(hook(httpserver), REPORT, base_url=BASE, environ=env(httpserver))
    # one request answered 302, and nothing sent on to the Location (a slow request of an
    # earlier test may still land in the shared server's log: count this test's answers)
    assert [r.status_code for _, r in httpserver.log if r.status_code == 302] == [302]


def test_a_variable_holding_no_url_is_refused_before_sending() -> None:
    channel = parse_channel("ops-hook", {"type": "webhook", "url": "${HOOK_URL}"})
    with pytest.raises(DeliveryError, match="is not an http:// or https:// URL"):
        send_webhook(channel, REPORT, base_url=BASE, environ={"HOOK_URL": "file:///etc/passwd"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [
        (12_220.0, False, "12,220"),
        (1_000_000.0, False, "1,000,000"),
        (1_234.5, False, "1,234.5"),
        (0.0812, False, "0.0812"),
        (-3.14159, False, "-3.142"),
        (0.0, False, "0"),
        (None, False, "no data"),
        (1_180.0, True, "+1,180"),
        (-420.0, True, "-420"),
    ],
)
def test_numbers_in_messages(value: float | None, signed: bool, text: str) -> None:
    from alerts.channels.message import format_number

    assert format_number(value, signed=signed) == text


@pytest.mark.parametrize(
    ("grain", "label"),
    [
        ("day", "2026-11-23"),
        ("week", "week of 2026-11-23"),
        ("month", "2026-11"),
        ("quarter", "2026-Q4"),
    ],
)
def test_period_labels(grain: str, label: str) -> None:
    from alerts.channels.message import period_label

    assert period_label("2026-11-23", grain) == label
