"""Deliver one route's message, retrying with exponential backoff; never raise.

Failures are logged on the ``datasteward.alerts`` logger (warnings for retries, an
error when the message is given up) and returned in the :class:`Delivery`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from datasteward.config.alerts import AlertRoute
from datasteward.model import Run
from datasteward.services.alerts.payloads import email_message, slack_payload, webhook_payload
from datasteward.services.alerts.report import Alert, Delivery
from datasteward.services.alerts.transports import DeliveryError, post_json, send_mail

__all__ = ["MAX_DELAY", "backoff_delays", "deliver", "worst_case"]

logger = logging.getLogger("datasteward.alerts")

# No wait between two attempts is longer than this, whatever the backoff doubles to.
MAX_DELAY = 60.0

Sleep = Callable[[float], None]
Send = Callable[[AlertRoute, Run, Sequence[Alert]], None]


def _send_webhook(route: AlertRoute, run: Run, alerts: Sequence[Alert]) -> None:
    assert route.url is not None  # required for webhook routes by the route model
    body = json.dumps(webhook_payload(route, run, alerts)).encode()
    post_json(route.url, body, route.headers, route.timeout_delta.total_seconds())


def _send_slack(route: AlertRoute, run: Run, alerts: Sequence[Alert]) -> None:
    assert route.url is not None  # required for slack routes by the route model
    body = json.dumps(slack_payload(run, alerts)).encode()
    post_json(route.url, body, {}, route.timeout_delta.total_seconds())


def _send_email(route: AlertRoute, run: Run, alerts: Sequence[Alert]) -> None:
    assert route.smtp is not None  # required for email routes by the route model
    send_mail(route.smtp, email_message(route, run, alerts), route.timeout_delta.total_seconds())


_CHANNELS: dict[str, Send] = {
    "webhook": _send_webhook,
    "slack": _send_slack,
    "email": _send_email,
}


def backoff_delays(route: AlertRoute) -> list[float]:
    """Seconds to wait before each retry: ``backoff``, doubled each time, capped."""
    first = route.backoff_delta.total_seconds()
    return [min(first * 2**retry, MAX_DELAY) for retry in range(route.retries)]


def worst_case(route: AlertRoute) -> timedelta:
    """The longest a delivery on ``route`` can take: every attempt timing out."""
    # An SMTP delivery waits on up to four replies (connect, STARTTLS, login, data).
    waits = 4 if route.type == "email" else 1
    attempts = route.retries + 1
    seconds = attempts * waits * route.timeout_delta.total_seconds() + sum(backoff_delays(route))
    return timedelta(seconds=seconds)


def deliver(route: AlertRoute, run: Run, alerts: Sequence[Alert], sleep: Sleep) -> Delivery:
    """Send ``alerts`` to ``route``, retrying transient failures; the outcome, never raises."""
    send = _CHANNELS[route.type]
    delays = backoff_delays(route)
    attempt = 0
    while True:
        attempt += 1
        try:
            send(route, run, alerts)
        except DeliveryError as error:
            if error.permanent or attempt > len(delays):
                logger.error(
                    "alert route %r: giving up on run %s after %d attempt%s: %s",
                    route.name,
                    run.run_id,
                    attempt,
                    "" if attempt == 1 else "s",
                    error,
                )
                return Delivery(route.name, tuple(alerts), attempt, str(error))
            delay = delays[attempt - 1]
            logger.warning(
                "alert route %r: attempt %d failed (%s); retrying in %.3gs",
                route.name,
                attempt,
                error,
                delay,
            )
            sleep(delay)
            continue
        logger.info(
            "alert route %r: sent %d alert(s) for run %s", route.name, len(alerts), run.run_id
        )
        return Delivery(route.name, tuple(alerts), attempt)
