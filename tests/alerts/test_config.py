"""``alerts:`` in steward.yml: typed routes, and mistakes reported at file:line:column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from datasteward.config import parse_project
from datasteward.errors import ConfigError

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
BASE = (
    "sources: {s: {type: files}}\n"
    "datasets:\n"
    "  orders: {source: s, path: orders.csv}\n"
    "  customers: {source: s, path: customers.csv}\n"
    "alerts:\n"
)


def test_the_readme_example_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/x")
    monkeypatch.setenv("ALERT_TOKEN", "t0k")
    example = re.search(r"```yaml\n(alerts:\n.*?)```", README, flags=re.S)
    assert example, "README has no alerts: example"
    project = parse_project(BASE.removesuffix("alerts:\n") + example.group(1))
    slack, hook, mail = project.alerts
    assert (slack.url, slack.datasets, slack.severity) == (
        "https://hooks.slack.com/services/T/B/x",
        ["orders"],
        "error",
    )
    assert hook.headers == {"Authorization": "Bearer t0k"}
    assert (mail.from_, mail.to, mail.datasets, mail.severity) == (
        "steward@example.com",
        ["ops@example.com"],
        None,
        "error",
    )
    assert mail.smtp is not None
    assert (mail.smtp.port, mail.smtp.starttls, mail.smtp.username_env) == (587, True, "SMTP_USER")
    assert (mail.retries, mail.backoff, mail.timeout) == (3, "1s", "10s")


def test_no_alerts_by_default() -> None:
    assert parse_project("").alerts == []


# (the alerts list as YAML, the error as printed)
ERRORS = [
    (
        "  - {name: a, type: slack, urll: 'https://x'}\n",
        "steward.yml:6:28: unknown key 'alerts.0.urll' (did you mean 'url'?)",
    ),
    (
        "  - name: a\n    type: email\n    smtp: {host: h, prot: 25}\n    from: a@b\n    to: c@d\n",
        "steward.yml:8:21: unknown key 'alerts.0.smtp.prot' (did you mean 'port'?)",
    ),
    (
        "  - name: a\n    type: email\n    smtp: {host: h}\n    from_: a@b\n    to: c@d\n",
        "steward.yml:9:5: unknown key 'alerts.0.from_' (did you mean 'from'?)",
    ),
    (
        "  - name: a\n    type: teams\n    url: https://x\n",
        "steward.yml:7:5: alerts.0.type: Input should be 'slack', 'webhook' or 'email'",
    ),
    ("  - name: a\n    type: webhook\n", "steward.yml:6:5: alerts.0: a webhook route needs 'url:'"),
    (
        "  - name: a\n    type: email\n    smtp: {host: h}\n    to: c@d\n",
        "steward.yml:6:5: alerts.0: a email route needs 'from:'",
    ),
    (
        "  - name: a\n    type: slack\n    url: https://x\n    to: [a@b]\n",
        "steward.yml:9:5: alerts.0.to: does not apply to a slack route",
    ),
    (
        "  - name: a\n    type: slack\n    url: https://x\n    headers: {A: b}\n",
        "steward.yml:9:5: alerts.0.headers: does not apply to a slack route",
    ),
    (
        "  - name: a\n    type: webhook\n    url: file:///etc/passwd\n",
        "steward.yml:8:5: alerts.0.url: 'file:///etc/passwd' is not an http:// or https:// URL",
    ),
    (
        "  - name: a\n    type: webhook\n    url: https://x\n    severity: info\n",
        "steward.yml:9:5: alerts.0.severity: Input should be 'error' or 'warn'",
    ),
    (
        "  - name: a\n    type: webhook\n    url: https://x\n    datasets: [ordres]\n",
        "steward.yml:5:1: alerts: route 'a' names unknown dataset 'ordres' (did you mean 'orders'?)",
    ),
    (
        "  - {name: a, type: webhook, url: 'https://x', datasets: []}\n",
        "steward.yml:6:48: alerts.0.datasets: List should have at least 1 item after validation, not 0",
    ),
    (
        "  - {name: a, type: webhook, url: 'https://x'}\n  - {name: a, type: slack, url: 'https://y'}\n",
        "steward.yml:5:1: alerts: two routes are named 'a'",
    ),
    (
        "  - {name: a, type: webhook, url: 'https://x', backoff: 5m}\n",
        "steward.yml:6:48: alerts.0.backoff: '5m' must be more than 0s and at most 60s",
    ),
    (
        "  - {name: a, type: webhook, url: 'https://x', timeout: soon}\n",
        "steward.yml:6:48: alerts.0.timeout: invalid duration 'soon': write a number and a unit, e.g. 90s, 15m, 24h, 7d",
    ),
    (
        "  - name: a\n    type: email\n    smtp: {host: h, username_env: U}\n    from: a@b\n    to: c@d\n",
        "steward.yml:8:5: alerts.0.smtp: give both username_env and password_env, or neither",
    ),
    (
        "  - {name: a, type: webhook, url: 'https://x', retries: 11}\n",
        "steward.yml:6:48: alerts.0.retries: Input should be less than or equal to 10",
    ),
]


@pytest.mark.parametrize(("alerts", "expected"), ERRORS)
def test_mistakes_are_reported_where_they_are(alerts: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_project(BASE + alerts)
    assert str(raised.value) == expected
