"""Alert and report email against a real SMTP server (aiosmtpd on 127.0.0.1, STARTTLS off):
the received message parsed with the email package — HTML escaped, the chart an inline PNG its
HTML references by Content-ID, a plain-text part, the report's PDF attached — and failures
(login refused, no STARTTLS, nobody listening) as one line without the password."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from alert_channel_samples import POINTS, sample_notification
from smtp_support import free_port, smtp_server

from alerts.channels.chart import ChartError, ChartRenderer
from alerts.channels.config import EmailChannel
from alerts.channels.email import send_email
from alerts.channels.errors import DeliveryError
from alerts.channels.payload import notification_payload
from settings import Settings

BASE = "https://northstar.example.com"
PASSWORD = "pw-Zq8!x7Lk"
CHANNEL = EmailChannel("team-mail", ("growth@example.com", "ceo@example.com"), "[Growth]")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def smtp_settings(port: int, **changes: object) -> Settings:
    base = Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="northstar@example.com",
        smtp_starttls=False,
        smtp_timeout=5.0,
        public_url=BASE,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


class FakeRenderer:
    """Stands in for chromium where the test is about the email, not the drawing."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.figures: list = []

    def png(self, figure, width: int = 640, height: int = 260) -> bytes:  # type: ignore[no-untyped-def]
        self.figures.append(figure)
        if self.fail:
            raise ChartError("could not draw the chart (TimeoutError)")
        return PNG_MAGIC + b"fake"


def parts(message):  # type: ignore[no-untyped-def]
    return {part.get_content_type(): part for part in message.walk()}


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_alert_email_has_the_chart_inline_and_escapes_every_text() -> None:
    payload = notification_payload(sample_notification(), points=POINTS)
    renderer = ChartRenderer()
    try:
        with smtp_server() as inbox:
            send_email(CHANNEL, payload, settings=smtp_settings(inbox.port), renderer=renderer)
    finally:
        renderer.close()
    (message,) = inbox.messages
    assert inbox.recipients == [["growth@example.com", "ceo@example.com"]]
    assert message["Subject"] == "[Growth] [Firing] nsm_below_target (region=South)"
    assert message["From"] == "northstar@example.com"
    assert message.get_content_type() == "multipart/alternative"
    found = parts(message)
    assert "multipart/related" in found
    image = found["image/png"]
    png = image.get_content()
    assert png[:8] == PNG_MAGIC
    assert int.from_bytes(png[16:20]) == 640 and int.from_bytes(png[20:24]) == 260  # IHDR
    assert image["Content-Disposition"].startswith("inline")
    html = message.get_body(("html",)).get_content()
    content_id = image["Content-ID"].strip("<>")
    assert f'src="cid:{content_id}"' in html
    # Text from the rule and the data is escaped, never markup.
    assert "&lt;b&gt;weekly&lt;/b&gt; target &amp; falling" in html
    assert "channel=&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "Growth &lt;team&gt;" in html
    link = BASE + sample_notification().drivers_link
    assert f'href="{link.replace("&", "&amp;")}"' in html
    text = message.get_body(("plain",)).get_content()
    assert text.splitlines()[0] == "[Firing] nsm_below_target (region=South)"
    assert "Value:    12,220" in text and "Expected: at least 13,000" in text
    assert f"Why it moved: {link}" in text


def test_chart_is_drawn_from_the_payloads_points() -> None:
    renderer = FakeRenderer()
    payload = notification_payload(sample_notification(), points=POINTS)
    with smtp_server() as inbox:
        send_email(CHANNEL, payload, settings=smtp_settings(inbox.port), renderer=renderer)  # type: ignore[arg-type]
    (figure,) = renderer.figures
    line, marker = figure.data
    assert [float(v) for v in line.y] == [v for _, v in POINTS]
    assert [str(x)[:10] for x in marker.x] == ["2026-11-23"] and list(marker.y) == [12_220.0]
    assert parts(inbox.messages[0])["image/png"].get_content() == PNG_MAGIC + b"fake"


def test_a_chart_that_fails_does_not_hold_the_alert_back(caplog) -> None:  # type: ignore[no-untyped-def]
    payload = notification_payload(sample_notification(), points=POINTS)
    with smtp_server() as inbox:
        send_email(
            CHANNEL,
            payload,
            settings=smtp_settings(inbox.port),
            renderer=FakeRenderer(fail=True),  # type: ignore[arg-type]
        )
    (message,) = inbox.messages
    assert "image/png" not in parts(message)
    assert "cid:" not in message.get_body(("html",)).get_content()
    assert "could not draw the chart (TimeoutError); the email goes without it" in caplog.text


def test_weekly_report_email_attaches_the_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "northstar-2026-W48.pdf"
    pdf.write_bytes(b"%PDF-1.7\n% a tiny stand-in\n%%EOF\n")
    report = {
        "kind": "report",
        "subject": "Weekly review 2026-W48",
        "html": "<h1>Weekly review</h1><p>Paid orders <b>12,220</b></p>",
        "text": "Weekly review\nPaid orders 12,220",
        "pdf_path": str(pdf),
        "week": "2026-W48",
    }
    with smtp_server() as inbox:
        send_email(CHANNEL, report, settings=smtp_settings(inbox.port))
    (message,) = inbox.messages
    assert message["Subject"] == "[Growth] Weekly review 2026-W48"
    assert message.get_body(("html",)).get_content().strip() == report["html"]  # as given
    assert message.get_body(("plain",)).get_content().splitlines() == report["text"].splitlines()
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "northstar-2026-W48.pdf"
    assert attachment.get_content() == pdf.read_bytes()
    pdf.unlink()
    with pytest.raises(
        DeliveryError, match=r"cannot read the report's PDF northstar-2026-W48\.pdf"
    ):
        send_email(CHANNEL, report, settings=smtp_settings(free_port()))


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_over_loopback_and_a_refused_login_without_the_password(caplog) -> None:  # type: ignore[no-untyped-def]
    payload = notification_payload(sample_notification())
    with smtp_server(user="northstar", password=PASSWORD) as inbox:
        settings = smtp_settings(inbox.port, smtp_user="northstar", smtp_password=PASSWORD)
        send_email(CHANNEL, payload, settings=settings)
        assert len(inbox.messages) == 1
        with pytest.raises(DeliveryError) as caught:
            send_email(
                CHANNEL, payload, settings=replace(settings, smtp_password="wrong-" + PASSWORD)
            )
    message = str(caught.value)
    assert message.startswith(
        f"email team-mail: 127.0.0.1:{inbox.port} refused the login of northstar (535"
    )
    assert PASSWORD not in message and PASSWORD not in caplog.text
    assert PASSWORD not in repr(settings)


def test_no_password_in_clear_to_another_machine() -> None:
    settings = smtp_settings(
        25, smtp_host="smtp.example.com", smtp_user="u", smtp_password=PASSWORD
    )
    with pytest.raises(DeliveryError, match="refusing to send the SMTP password unencrypted"):
        send_email(CHANNEL, notification_payload(sample_notification()), settings=settings)


def test_starttls_asked_of_a_server_without_it() -> None:
    with smtp_server() as inbox, pytest.raises(DeliveryError) as caught:
        send_email(
            CHANNEL,
            notification_payload(sample_notification()),
            settings=smtp_settings(inbox.port, smtp_starttls=True),
        )
    assert str(caught.value) == (
        f"email team-mail: 127.0.0.1:{inbox.port}: the server offers no STARTTLS; for a relay "
        "without it set NORTHSTAR_SMTP_STARTTLS=false"
    )
    assert inbox.messages == []


def test_nobody_listening_and_settings_missing() -> None:
    port = free_port()
    with pytest.raises(DeliveryError) as caught:
        send_email(
            CHANNEL, notification_payload(sample_notification()), settings=smtp_settings(port)
        )
    assert str(caught.value) == (
        f"email team-mail: cannot talk to 127.0.0.1:{port} (Connection refused; connect)"
    )
    with pytest.raises(DeliveryError, match="NORTHSTAR_SMTP_HOST is not set"):
        send_email(CHANNEL, {}, settings=Settings())


def test_smtp_password_comes_only_from_the_environment(tmp_path: Path) -> None:
    toml = tmp_path / "northstar.toml"
    toml.write_text('smtp_host = "mail.example.com"\nsmtp_password = "x"\n')
    with pytest.raises(ValueError, match="smtp_password may only come from the environment"):
        Settings.load({"NORTHSTAR_SETTINGS": str(toml)})
    toml.write_text('smtp_host = "mail.example.com"\nsmtp_port = 25\nsmtp_starttls = false\n')
    settings = Settings.load({"NORTHSTAR_SETTINGS": str(toml), "NORTHSTAR_SMTP_PASSWORD": "pw"})
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
        "mail.example.com",
        25,
        False,
    )
    assert settings.smtp_password == "pw" and "pw" not in repr(settings)
