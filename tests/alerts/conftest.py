"""Real receivers for alerts: an HTTP server and SMTP servers (aiosmtpd), plus a shop.

The shop is a small CSV project in ``tmp_path`` whose data a test breaks and repairs
between real scans.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from psycopg import sql
from sqlalchemy.engine import make_url

from datasteward.config import load_project
from datasteward.config.models import Project
from datasteward.model import Run
from datasteward.services.scan import scan

AS_OF = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)

# --------------------------------------------------------------------------- HTTP


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers ``statuses``."""

    server: ThreadingHTTPServer
    requests: list[Request] = field(default_factory=list)
    # Answered in order, then 200 for ever.
    statuses: deque[int] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def bodies(self, path: str | None = None) -> list[Any]:
        return [r.body for r in self.requests if path is None or r.path == path]


def _handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = receiver_ref[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                status = receiver.statuses.popleft() if receiver.statuses else 200
                receiver.requests.append(
                    Request(self.path, dict(self.headers.items()), json.loads(body))
                )
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    ref: list[Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    ref.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ref[0]
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port_url() -> str:
    """An http:// URL nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


# --------------------------------------------------------------------------- SMTP

USER, PASSWORD = "steward", "s3cret"


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: Message
    authenticated: bool
    tls: bool


class MailBox:
    """Collects every mail an aiosmtpd server accepts."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.mails.append(
            Mail(
                str(envelope.mail_from),
                list(envelope.rcpt_tos),
                message_from_bytes(content),
                bool(session.authenticated),
                session.ssl is not None,
            )
        )
        return "250 OK"


def _authenticate(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    box: MailBox


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(box: MailBox, **kwargs: Any) -> Controller:
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=_authenticate,
        **kwargs,
    )
    controller.start()
    return controller


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server that offers AUTH without TLS (a local relay)."""
    box = MailBox()
    controller = _start(box, auth_require_tls=False)
    yield SmtpServer("127.0.0.1", controller.port, box)
    controller.stop()


@pytest.fixture
def tls_smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """An SMTP server that requires STARTTLS, with a self-signed certificate the client trusts.

    The client verifies against the system CAs, which ``SSL_CERT_FILE`` replaces.
    """
    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = MailBox()
    controller = _start(box, tls_context=context, require_starttls=True)
    yield SmtpServer("127.0.0.1", controller.port, box)
    controller.stop()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "steward test mail")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "mail.crt", folder / "mail.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


# --------------------------------------------------------------------------- stores


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty store: a SQLite file, or a database of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'steward.db'}"
        return
    server = request.getfixturevalue("postgres_url").replace("+psycopg", "", 1)
    name = f"steward_{uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


# --------------------------------------------------------------------------- the shop


class Shop:
    """A project of two CSV datasets; each check can be broken and repaired at will.

    orders:    unique(order_id) and between(amount) (severity error),
               not_null(customer) (severity warn)
    customers: unique(customer_id)
    """

    def __init__(self, folder: Path, alerts: str, store: str | None = None) -> None:
        self.folder = folder
        (folder / "data").mkdir(parents=True, exist_ok=True)
        self.store = store or f"sqlite:///{folder / 'steward.db'}"
        (folder / "steward.yml").write_text(
            f"store: {json.dumps(self.store)}\n"
            "sources: {lake: {type: files, root: data}}\n"
            "datasets:\n"
            "  orders:\n"
            "    source: lake\n"
            "    path: orders.csv\n"
            "    checks:\n"
            "      - unique: order_id\n"
            "      - between: {column: amount, min: 0, max: 100}\n"
            "      - not_null: {columns: [customer], severity: warn}\n"
            "  customers:\n"
            "    source: lake\n"
            "    path: customers.csv\n"
            "    checks:\n"
            "      - unique: customer_id\n"
            f"{alerts}"
        )
        self.write()

    @property
    def project(self) -> Project:
        return load_project(self.folder / "steward.yml")

    def write(
        self,
        *,
        duplicate: bool = False,
        negative: bool = False,
        missing_customer: bool = False,
        customer_duplicate: bool = False,
    ) -> None:
        """Good data, with the named problems planted."""
        rows = [(1, 10, "ann"), (2, 20, "bob"), (3, 30, "cy")]
        if duplicate:
            rows.append((3, 40, "dee"))
        if negative:
            rows.append((4, -5, "eve"))
        if missing_customer:
            rows.append((5, 50, ""))
        orders = "order_id,amount,customer\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)
        (self.folder / "data" / "orders.csv").write_text(orders)
        customers = "customer_id\n1\n2\n" + ("2\n" if customer_duplicate else "")
        (self.folder / "data" / "customers.csv").write_text(customers)

    def scan(self, *, day: int = 0, **problems: bool) -> Run:
        """Plant ``problems`` (none: good data) and scan as of AS_OF plus ``day`` days."""
        self.write(**problems)
        return scan(self.project, as_of=AS_OF + dt.timedelta(days=day))


def route(name: str, kind: str, **options: Any) -> str:
    """One ``alerts:`` list item as YAML (flow style for the options)."""
    lines = [f"  - name: {name}", f"    type: {kind}"]
    lines += [f"    {key}: {json.dumps(value)}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


def alerts(*routes: str) -> str:
    return "alerts:\n" + "".join(routes)


FAST = {"retries": 2, "backoff": "0.01s", "timeout": "2s"}
