"""A tiny real SMTP server for tests: listens on 127.0.0.1, keeps what it receives.

It speaks enough of RFC 5321 for smtplib (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP,
QUIT), can insist on a password and can refuse chosen recipients. No TLS: tests turn
STARTTLS off, or check the failure when it is asked for.
"""

from __future__ import annotations

import base64
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SinkState:
    messages: list[Received] = field(default_factory=list)
    credentials: tuple[str, str] | None = None
    refused: set[str] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _address(argument: str) -> str:
    return argument.split(":", 1)[1].strip().split()[0].strip("<>")


class _Handler(socketserver.StreamRequestHandler):
    state: SinkState

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        state = self.server.state  # type: ignore[attr-defined]
        self.reply("220 sink.test ESMTP ready")
        sender: str | None = None
        recipients: list[str] = []
        authed = state.credentials is None
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250-sink.test")
                self.reply("250-AUTH PLAIN")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 sink.test")
            elif verb == "AUTH":
                mechanism, _, initial = argument.partition(" ")
                parts = base64.b64decode(initial or "").split(b"\0")
                user, password = (p.decode() for p in parts[-2:]) if len(parts) >= 2 else ("", "")
                if mechanism.upper() == "PLAIN" and (user, password) == state.credentials:
                    authed = True
                    state.logins.append(user)
                    self.reply("235 2.7.0 Authentication successful")
                else:
                    self.reply("535 5.7.8 Authentication credentials invalid")
            elif verb == "MAIL":
                if not authed:
                    self.reply("530 5.7.0 Authentication required")
                    continue
                sender, recipients = _address(argument), []
                self.reply("250 OK")
            elif verb == "RCPT":
                address = _address(argument)
                if address in state.refused:
                    self.reply("550 5.1.1 No such user here")
                else:
                    recipients.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                body = bytearray()
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                parsed = message_from_bytes(bytes(body), policy=policy.default)
                with state.lock:
                    state.messages.append(Received(sender or "", recipients, parsed))  # type: ignore[arg-type]
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                sender, recipients = (None, []) if verb == "RSET" else (sender, recipients)
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 5.5.2 Command not recognized")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    """`with SmtpSink() as sink:` a server at sink.host:sink.port; sink.messages received."""

    def __init__(self) -> None:
        self.state = SinkState()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state  # type: ignore[attr-defined]
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def messages(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.messages)

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
