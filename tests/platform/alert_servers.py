"""Local servers that receive alerts: an HTTP webhook and an SMTP server (aiosmtpd), on 127.0.0.1.

Shared by tests/platform/test_alerts.py and test_alert_dag.py through tests/platform/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class WebhookReceiver:
    """Answers POSTs with the statuses queued in `statuses` (then 200), deduplicating by Idempotency-Key."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.raw: list[bytes] = []  # every request's headers and body, as received
        self.tries: Counter[str] = Counter()
        self.accepted: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers.get("Idempotency-Key", "")
                with receiver.lock:
                    receiver.raw.append(bytes(str(self.headers), "utf-8") + body)
                    receiver.tries[key] += 1
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    if status == 200 and not any(a["_key"] == key for a in receiver.accepted):
                        receiver.accepted.append(json.loads(body) | {"_key": key})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/cdp/T0KEN-in-the-path"

    def received_bytes(self) -> bytes:
        """Everything the receiver was sent, headers and bodies."""
        with self.lock:
            return b"\n".join(self.raw)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpReceiver:
    """An SMTP server on 127.0.0.1 keeping every message; optional STARTTLS and login."""

    def __init__(self, tls: ssl.SSLContext | None = None, logins: dict[str, str] | None = None) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.raw: list[bytes] = []
        self.logins = logins
        self.port = free_port()
        options = {"tls_context": tls, "require_starttls": tls is not None} if tls else {}
        if logins is not None:
            options |= {"authenticator": self._authenticate, "auth_require_tls": tls is not None}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.raw.append(envelope.content)
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and self.logins.get(auth_data.login.decode()) == (
            auth_data.password.decode()
        )
        return AuthResult(success=ok, handled=False)

    def close(self) -> None:
        self.controller.stop()


def self_signed_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 and the certificate file a client can trust."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path
