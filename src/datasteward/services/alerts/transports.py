"""Getting a message out: an HTTP POST (urllib) and a mail (smtplib, STARTTLS, login).

Both raise :class:`DeliveryError`, which says whether trying again could help.
Messages never include a webhook URL (a Slack URL is its own secret) or a password.
"""

from __future__ import annotations

import http.client
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

from datasteward.config.alerts import SmtpConfig

__all__ = ["DeliveryError", "post_json", "send_mail"]


class DeliveryError(Exception):
    """A message could not be delivered; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a redirect of a POST with a GET that drops the body, and call
    # that a success; the 3xx becomes an HTTPError instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)
_RETRYABLE_HTTP = {408, 425, 429}


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """POST ``body`` as JSON; success is any 2xx answer."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "steward", **headers},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(65536)
    except urllib.error.HTTPError as error:
        raise _http_error(error, _detail(error)) from None
    except urllib.error.URLError as error:
        reason = error.reason
        permanent = isinstance(reason, ssl.SSLCertVerificationError)
        raise DeliveryError(f"cannot connect: {reason}", permanent=permanent) from None
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"connection failed: {error or type(error).__name__}") from None


def _http_error(error: urllib.error.HTTPError, detail: str) -> DeliveryError:
    code = error.code
    if 300 <= code < 400:
        location = error.headers.get("Location")
        return DeliveryError(
            f"HTTP {code}: redirected to {location}; configure the final URL", permanent=True
        )
    retryable = code >= 500 or code in _RETRYABLE_HTTP
    message = f"HTTP {code} {error.reason}".strip() + (f": {detail}" if detail else "")
    return DeliveryError(message, permanent=not retryable)


def _detail(error: urllib.error.HTTPError) -> str:
    """The start of the answer's body: Slack explains a refusal there (``invalid_token``)."""
    try:
        text = error.read(200).decode("utf-8", "replace")
    except OSError:
        return ""
    return " ".join(text.split())


def send_mail(smtp: SmtpConfig, message: EmailMessage, timeout: float) -> None:
    """Send ``message`` through ``smtp``: STARTTLS first when asked, then login."""
    credentials = _credentials(smtp)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            if smtp.starttls:
                # Verifies the server's certificate against the system CAs (or the bundle
                # in SSL_CERT_FILE) and its name against ``host``.
                client.starttls(context=ssl.create_default_context())
            if credentials is not None:
                client.login(*credentials)
            client.send_message(message)
    except smtplib.SMTPNotSupportedError as error:
        raise DeliveryError(
            f"the mail server does not support it: {error}", permanent=True
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        raise DeliveryError(
            f"recipients refused: {', '.join(sorted(error.recipients))}",
            permanent=all(code >= 500 for code in codes),
        ) from None
    except smtplib.SMTPResponseException as error:
        text = _text(error.smtp_error)
        raise DeliveryError(
            f"the mail server answered {error.smtp_code} {text}", permanent=error.smtp_code >= 500
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise DeliveryError(f"TLS: {error.verify_message}", permanent=True) from None
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"mail server: {error or type(error).__name__}") from None


def _credentials(smtp: SmtpConfig) -> tuple[str, str] | None:
    if smtp.username_env is None or smtp.password_env is None:
        return None
    missing = [name for name in (smtp.username_env, smtp.password_env) if name not in os.environ]
    if missing:
        raise DeliveryError(
            f"environment variable {missing[0]} is not set (SMTP credentials)", permanent=True
        )
    return os.environ[smtp.username_env], os.environ[smtp.password_env]


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)
