"""Send one payload as an email over SMTP (settings NORTHSTAR_SMTP_*).

An alert is an HTML email — every text from the rule, the spec or the data escaped — with the
metric's recent values drawn as an inline PNG (`cid:`) and a plain-text alternative. A chart that
cannot be drawn (no chromium, a timeout) does not hold the alert back: the email goes without it.
The weekly report's HTML is sent as the report made it, with its PDF attached.

Connection: SMTP to host:port, STARTTLS when NORTHSTAR_SMTP_STARTTLS (default true), a login when
NORTHSTAR_SMTP_USER is set. A password is never sent unencrypted to another machine. Failures
become DeliveryError in our own words, with the password redacted from anything the server said.
"""

from __future__ import annotations

import html
import ipaddress
import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from alerts.channels.chart import ChartError, ChartRenderer, alert_figure, chart_frame
from alerts.channels.config import EmailChannel
from alerts.channels.errors import DeliveryError
from alerts.channels.message import Message, alert_message, plain_text
from alerts.channels.payload import is_report
from env_refs import redact
from settings import Settings

log = logging.getLogger("northstar.alerts")

_TONE = {"critical": "#c92a2a", "warning": "#e67700", "info": "#1c7ed6"}
_RESOLVED = "#2b8a3e"


def send_email(
    channel: EmailChannel,
    payload: Mapping[str, Any],
    *,
    settings: Settings,
    renderer: ChartRenderer | None = None,
) -> None:
    """Build and send the email; DeliveryError (redacted) when it was not accepted."""
    sender = settings.smtp_from.strip()
    if not settings.smtp_host.strip() or not sender:
        missing = "NORTHSTAR_SMTP_HOST" if not settings.smtp_host.strip() else "NORTHSTAR_SMTP_FROM"
        raise DeliveryError(
            f"email {channel.name}: {missing} is not set; set the SMTP settings for the worker "
            "(README, Alert channels)"
        )
    if is_report(payload):
        message = report_email(channel, payload, sender=sender)
    else:
        png = _chart(payload, renderer) if renderer is not None else None
        message = alert_email(
            channel, payload, sender=sender, base_url=settings.public_base(), chart_png=png
        )
    _submit(message, channel, settings)


# -- building ---------------------------------------------------------------------------------
def alert_email(
    channel: EmailChannel,
    payload: Mapping[str, Any],
    *,
    sender: str,
    base_url: str,
    chart_png: bytes | None = None,
) -> EmailMessage:
    """An alert as multipart/alternative: plain text, and HTML with the chart inline (related)."""
    m = alert_message(payload, base_url)
    cid = make_msgid(domain="northstar.chart")  # "<…@northstar.chart>"; HTML uses it without <>
    email = _envelope(channel, f"{channel.subject_prefix} {m.title}", sender)
    email.set_content(plain_text(m))
    email.add_alternative(alert_html(m, payload, cid[1:-1] if chart_png else None), subtype="html")
    if chart_png:
        html_part = email.get_payload()[1]
        html_part.add_related(
            chart_png, "image", "png", cid=cid, disposition="inline", filename="chart.png"
        )
    return email


def alert_html(m: Message, payload: Mapping[str, Any], cid: str | None) -> str:
    e = _escape
    tone = _RESOLVED if m.kind == "resolved" else _TONE.get(m.severity, "#495057")
    rows = "".join(
        f'<tr><td style="padding:3px 12px 3px 0;color:#868e96">{e(name)}</td>'
        f'<td style="padding:3px 0">{e(value)}</td></tr>'
        for name, value in m.fields
    )
    parts = [
        '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;'
        'color:#212529;max-width:680px">',
        f'<h2 style="color:{tone};margin:0 0 8px">{e(m.title)}</h2>',
    ]
    parts += [f'<p style="margin:4px 0">{e(text)}</p>' for text in (m.summary, m.detail) if text]
    parts.append(f'<table style="border-collapse:collapse;margin:12px 0">{rows}</table>')
    if cid:
        alt = e(f"{payload.get('metric') or payload.get('rule')}: recent values")
        parts.append(f'<p><img src="cid:{e(cid)}" alt="{alt}" width="640" height="260"></p>')
    if m.segments:
        items = "".join(f"<li>{e(s)}</li>" for s in m.segments)
        parts.append(f'<h3 style="margin:16px 0 4px">Top segments</h3><ul>{items}</ul>')
    if m.link:
        parts.append(
            f'<p><a href="{e(m.link)}" style="background:#1c7ed6;color:#fff;padding:8px 14px;'
            'border-radius:4px;text-decoration:none">Why it moved (Drivers)</a></p>'
        )
    parts.append(
        f'<p style="color:#868e96;font-size:12px">Sent by Northstar for the rule '
        f"{e(str(payload.get('rule') or ''))}.</p></body></html>"
    )
    return "\n".join(parts)


def report_email(channel: EmailChannel, payload: Mapping[str, Any], *, sender: str) -> EmailMessage:
    """The weekly report: its own HTML (made by the report, not user text), text, and the PDF."""
    subject = str(payload.get("subject") or f"Weekly review {payload.get('week', '')}")
    if not subject.startswith(channel.subject_prefix):
        subject = f"{channel.subject_prefix} {subject}"
    email = _envelope(channel, subject, sender)
    email.set_content(str(payload.get("text") or ""))
    email.add_alternative(str(payload.get("html") or ""), subtype="html")
    pdf_path = payload.get("pdf_path")
    if pdf_path:
        path = Path(pdf_path)
        try:
            pdf = path.read_bytes()
        except OSError as exc:
            raise DeliveryError(
                f"email {channel.name}: cannot read the report's PDF {path.name} "
                f"({exc.strerror or type(exc).__name__}); run `northstar report` again"
            ) from None
        email.add_attachment(pdf, "application", "pdf", filename=path.name)
    return email


def _envelope(channel: EmailChannel, subject: str, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = " ".join(subject.split())  # one line: no header injection
    email["From"] = sender
    email["To"] = ", ".join(channel.to)
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = make_msgid(domain="northstar")
    return email


def _chart(payload: Mapping[str, Any], renderer: ChartRenderer) -> bytes | None:
    points = payload.get("points") or []
    if len([p for p in points if p.get("value") is not None]) < 2:
        return None  # one dot is not a chart
    title = str(payload.get("metric") or payload.get("rule") or "")
    if payload.get("series"):
        title += f" ({payload['series']})"
    figure = alert_figure(
        chart_frame(points), title=title, period=payload.get("period"), kind=payload.get("kind", "")
    )
    try:
        return renderer.png(figure)
    except ChartError as exc:
        log.warning("alert %s: %s; the email goes without it", payload.get("rule"), exc)
        return None


def _escape(text: str) -> str:
    return html.escape(str(text), quote=True)


# -- sending ----------------------------------------------------------------------------------
def _submit(email: EmailMessage, channel: EmailChannel, settings: Settings) -> None:
    host, port = settings.smtp_host.strip(), settings.smtp_port
    secrets = {settings.smtp_password} if settings.smtp_password else set()
    prefix = f"email {channel.name}"
    where = f"{host}:{port}"
    if settings.smtp_user and not settings.smtp_starttls and not _loopback(host):
        raise DeliveryError(
            f"{prefix}: refusing to send the SMTP password unencrypted to {where}; "
            "set NORTHSTAR_SMTP_STARTTLS=true"
        )
    stage = "connect"
    try:
        with smtplib.SMTP(host, port, timeout=settings.smtp_timeout) as smtp:
            stage = "greet"
            smtp.ehlo()
            if settings.smtp_starttls:
                stage = "starttls"
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_user:
                stage = "login"
                smtp.login(settings.smtp_user, settings.smtp_password)
            stage = "send"
            refused = smtp.send_message(email)
    except TimeoutError:
        raise DeliveryError(
            f"{prefix}: {where} did not answer within {settings.smtp_timeout:g} s ({stage})"
        ) from None
    except smtplib.SMTPNotSupportedError:
        hint = {
            "starttls": "the server offers no STARTTLS; for a relay without it set "
            "NORTHSTAR_SMTP_STARTTLS=false",
            "login": "the server offers no login; leave NORTHSTAR_SMTP_USER empty",
        }.get(stage, "the server does not support what was asked")
        raise DeliveryError(f"{prefix}: {where}: {hint}") from None
    except smtplib.SMTPAuthenticationError as exc:
        said = redact(_said(exc), secrets)
        raise DeliveryError(
            f"{prefix}: {where} refused the login of {settings.smtp_user} ({said}); "
            "check NORTHSTAR_SMTP_USER and NORTHSTAR_SMTP_PASSWORD"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        said = "; ".join(f"{to}: {_said_pair(r)}" for to, r in exc.recipients.items())
        raise DeliveryError(
            f"{prefix}: {where} refused every recipient ({redact(said, secrets)})"
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"{prefix}: {where} answered {redact(_said(exc), secrets)} ({stage})"
        ) from None
    except ssl.SSLError as exc:
        raise DeliveryError(
            f"{prefix}: STARTTLS with {where} failed ({exc.reason or type(exc).__name__})"
        ) from None
    except smtplib.SMTPException as exc:
        said = redact(" ".join(str(exc).split())[:200], secrets)
        raise DeliveryError(f"{prefix}: {where}: {said} ({stage})") from None
    except OSError as exc:  # refused, unreachable, unknown host, dropped connection
        reason = exc.strerror or type(exc).__name__
        raise DeliveryError(f"{prefix}: cannot talk to {where} ({reason}; {stage})") from None
    if refused:
        log.warning(
            "%s: %s refused %s; the others got the email",
            prefix,
            where,
            redact(", ".join(sorted(refused)), secrets),
        )


def _said(exc: smtplib.SMTPResponseException) -> str:
    return _said_pair((exc.smtp_code, exc.smtp_error))


def _said_pair(reply: tuple[int, bytes | str]) -> str:
    code, text = reply
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())[:200]}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
