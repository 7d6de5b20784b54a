"""Alerts: tell Slack, webhooks and email when a check starts failing and when it is resolved.

``alerts:`` in ``steward.yml`` lists the routes. One message per route and run lists
every check that started failing or passes again; a check that keeps failing is not
repeated. Delivery is retried with exponential backoff; failures are logged on the
``datasteward.alerts`` logger and never fail a scan.
"""

from datasteward.services.alerts.notify import notify, notify_after_scan
from datasteward.services.alerts.report import Alert, AlertReport, Delivery, Event

__all__ = ["Alert", "AlertReport", "Delivery", "Event", "notify", "notify_after_scan"]
