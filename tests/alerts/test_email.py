"""Email routes against real SMTP servers (aiosmtpd): plain with AUTH, and STARTTLS."""

from __future__ import annotations

import logging
from email.message import Message
from pathlib import Path

import pytest

from .conftest import FAST, PASSWORD, USER, Shop, SmtpServer, alerts, route


def _mail_route(server: SmtpServer, *, starttls: bool, login: bool = True) -> str:
    smtp: dict[str, object] = {"host": server.host, "port": server.port, "starttls": starttls}
    if login:
        smtp |= {"username_env": "SMTP_USER", "password_env": "SMTP_PASSWORD"}
    return route(
        "ops-mail",
        "email",
        smtp=smtp,
        to=["ops@example.com", "data@example.com"],
        **{"from": "steward@example.com"},
        **FAST,
    )


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_USER", USER)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)


@pytest.mark.usefixtures("credentials")
def test_mail_over_a_plain_connection_with_login(tmp_path: Path, smtp_server: SmtpServer) -> None:
    shop = Shop(tmp_path, alerts(_mail_route(smtp_server, starttls=False)))
    run = shop.scan(day=0, duplicate=True)
    shop.scan(day=1, duplicate=True)  # still failing: no second mail
    shop.scan(day=2)

    failing, resolved = smtp_server.box.mails
    assert failing.authenticated and not failing.tls
    assert failing.mail_from == "steward@example.com"
    assert failing.rcpt_tos == ["ops@example.com", "data@example.com"]
    message = failing.message
    assert message["Subject"] == "[Steward] 1 check started failing: orders"
    assert message["To"] == "ops@example.com, data@example.com"
    body = _body(message)
    assert f"Steward run {run.run_id} (as of 2026-01-05T00:00:00Z)" in body
    assert "FAILING  orders  unique(order_id)" in body
    assert "failing rows: 2, samples kept: 2" in body
    assert resolved.message["Subject"] == "[Steward] 1 check resolved: orders"


@pytest.mark.usefixtures("credentials")
def test_mail_with_starttls_and_login(tmp_path: Path, tls_smtp_server: SmtpServer) -> None:
    shop = Shop(tmp_path, alerts(_mail_route(tls_smtp_server, starttls=True)))
    shop.scan(negative=True)
    (mail,) = tls_smtp_server.box.mails
    assert mail.tls and mail.authenticated
    assert "FAILING  orders  between(amount)" in _body(mail.message)


def test_without_starttls_a_server_that_requires_it_refuses(
    tmp_path: Path, tls_smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    shop = Shop(tmp_path, alerts(_mail_route(tls_smtp_server, starttls=False, login=False)))
    run = shop.scan(negative=True)
    assert run.summary["fail"] == 1
    assert tls_smtp_server.box.mails == []
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "after 1 attempt:" in error.getMessage()  # 530 is permanent: no retries
    assert "530" in error.getMessage()


def test_wrong_credentials_are_logged_not_retried(
    tmp_path: Path,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SMTP_USER", USER)
    monkeypatch.setenv("SMTP_PASSWORD", "wrong")
    shop = Shop(tmp_path, alerts(_mail_route(smtp_server, starttls=False)))
    shop.scan(negative=True)
    assert smtp_server.box.mails == []
    (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "after 1 attempt: the mail server answered 535" in error
    assert "wrong" not in error


def test_missing_credential_variables_are_named(
    tmp_path: Path, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    shop = Shop(tmp_path, alerts(_mail_route(smtp_server, starttls=False)))
    shop.scan(negative=True)
    (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "environment variable SMTP_USER is not set" in error
