"""The messages a route sends: generic JSON, a Slack message, an email.

One message per route and run carries every alert of that run, so a dataset that
breaks ten checks at once pages people once.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from datasteward.config.alerts import AlertRoute
from datasteward.model import Run
from datasteward.services.alerts.report import Alert, Event

__all__ = ["email_message", "headline", "slack_payload", "webhook_payload"]

# Slack refuses messages of more than 50 blocks and sections of more than 3000 characters.
_SLACK_ALERT_BLOCKS = 45
_SLACK_MESSAGE_CHARS = 1000
_ICONS = {Event.FAILING: ":red_circle:", Event.RESOLVED: ":large_green_circle:"}


def webhook_payload(route: AlertRoute, run: Run, alerts: Sequence[Alert]) -> dict[str, Any]:
    """The generic JSON body: the run, a count per event and one entry per alert."""
    return {
        "route": route.name,
        "run_id": run.run_id,
        "as_of": _iso(run),
        "summary": {event.value: _count(alerts, event) for event in Event},
        "alerts": [alert.to_json() for alert in alerts],
    }


def headline(alerts: Sequence[Alert]) -> str:
    """``2 checks started failing, 1 resolved``."""
    failing, resolved = _count(alerts, Event.FAILING), _count(alerts, Event.RESOLVED)
    parts = []
    if failing:
        parts.append(f"{failing} {'check' if failing == 1 else 'checks'} started failing")
    if resolved:
        noun = "" if failing else (" check" if resolved == 1 else " checks")
        parts.append(f"{resolved}{noun} resolved")
    return ", ".join(parts)


def slack_payload(run: Run, alerts: Sequence[Alert]) -> dict[str, Any]:
    """An incoming-webhook message: ``text`` for notifications, ``blocks`` for the channel."""
    title = f"Steward: {headline(alerts)}"
    blocks: list[dict[str, Any]] = [
        _section(f"*{_escape(title)}*\nrun `{run.run_id}` · as of {_iso(run)}")
    ]
    blocks += [_section(_slack_line(alert)) for alert in alerts[:_SLACK_ALERT_BLOCKS]]
    hidden = len(alerts) - _SLACK_ALERT_BLOCKS
    if hidden > 0:
        more = {"type": "mrkdwn", "text": f"…and {hidden} more (see `steward history`)"}
        blocks.append({"type": "context", "elements": [more]})
    return {"text": f"{title} (run {run.run_id}, as of {_iso(run)})", "blocks": blocks}


def _slack_line(alert: Alert) -> str:
    check = alert.result
    line = (
        f"{_ICONS[alert.event]} *{alert.event.value}* `{_escape(alert.dataset)}` · "
        f"*{_escape(check.name)}* ({check.status.value})"
    )
    message = check.message[:_SLACK_MESSAGE_CHARS]
    if message:
        line += f"\n>{_escape(message)}"
    if check.failed_rows:
        line += f"\nfailing rows: {check.failed_rows}"
    return line


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _escape(text: str) -> str:
    # The three characters Slack's mrkdwn treats as markup of its own.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def email_message(route: AlertRoute, run: Run, alerts: Sequence[Alert]) -> EmailMessage:
    """A plain-text mail listing every alert of the run."""
    assert route.from_ is not None  # the route model requires it for email routes
    datasets = ", ".join(dict.fromkeys(alert.dataset for alert in alerts))
    message = EmailMessage()
    message["Subject"] = f"[Steward] {headline(alerts)}: {datasets}"
    message["From"] = route.from_
    message["To"] = ", ".join(route.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=route.from_.rpartition("@")[2] or None)
    lines = [f"Steward run {run.run_id} (as of {_iso(run)}): {headline(alerts)}.", ""]
    for alert in alerts:
        lines += _email_entry(alert)
    message.set_content("\n".join(lines))
    return message


def _email_entry(alert: Alert) -> list[str]:
    check = alert.result
    entry = [
        f"{alert.event.value.upper()}  {alert.dataset}  {check.name}",
        f"  status: {check.status.value} (severity {check.severity.value})",
    ]
    if check.message:
        entry.append(f"  {check.message}")
    if check.failed_rows is not None:
        entry.append(f"  failing rows: {check.failed_rows}, samples kept: {len(check.samples)}")
    return [*entry, ""]


def _count(alerts: Sequence[Alert], event: Event) -> int:
    return sum(1 for alert in alerts if alert.event is event)


def _iso(run: Run) -> str:
    return run.as_of.isoformat().replace("+00:00", "Z")
