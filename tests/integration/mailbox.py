"""A real SMTP server on loopback for the tests (Debian's python3-aiosmtpd):
plain, with STARTTLS (a certificate from harness.make_cert) and with AUTH.
It keeps every message it accepts; tests read them with wait_mail() and take
the link tokens out with link_token().

    with Mailbox() as mb:                       # or the `mailbox` fixture
        ... point [mail] smtp_url at mb.url ...
        msg = mb.wait_mail("alice@example.com")
        token = link_token(msg, "reset")
"""
import email
import email.policy
import os
import re
import shutil
import ssl
import tempfile
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import harness

# console path of each kind of link (API9.md "Mail links")
LINK_PATHS = {"verify": "/console/verify", "set_password": "/console/set-password", "reset": "/console/reset"}
TOKEN_RE = r"#token=([A-Za-z0-9_-]+)"


class _Handler:
    def __init__(self, box):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.box.lock:
            self.box.messages.append({
                "from": envelope.mail_from, "rcpt": list(envelope.rcpt_tos), "msg": msg,
                "raw": envelope.original_content or envelope.content,
                "tls": session.ssl is not None,
                "login": session.auth_data.login if session.authenticated and session.auth_data else None,
            })
        return "250 Message accepted for delivery"


class Mailbox:
    """An SMTP server on 127.0.0.1:<harness.free_port()>.  starttls=True
    offers STARTTLS with a fresh self-signed certificate (self.cert is the CA
    file to trust) and refuses mail without it; auth=(user, password)
    requires AUTH LOGIN/PLAIN with exactly those (after STARTTLS).  Always
    stop() it (or use it as a context manager)."""

    def __init__(self, starttls=False, auth=None):
        self.dir = tempfile.mkdtemp(prefix="mgmbox.")
        self.messages = []
        self.lock = threading.Lock()
        self.cert = None
        self.auth = auth
        self.auth_failures = 0
        kw = {}
        if starttls:
            self.cert, key = harness.make_cert(self.dir, "smtp")
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.cert, key)
            kw.update(tls_context=ctx, require_starttls=True)
        if auth:
            kw.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=starttls)
        self.port = harness.free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kw)
        self.controller.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and
              (auth_data.login.decode(), auth_data.password.decode()) == tuple(self.auth))
        if not ok:
            self.auth_failures += 1
        return AuthResult(success=ok, auth_data=auth_data if ok else None)

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def mails(self, to=None):
        with self.lock:
            return [m for m in self.messages if to is None or to in m["rcpt"]]

    def wait_mail(self, to, timeout=harness.WAIT_S, count=1):
        """The newest message to `to`, once at least `count` have arrived."""
        got = harness.wait_for(lambda: (lambda ms: ms if len(ms) >= count else None)(self.mails(to)), timeout,
                               "%d mail(s) to %s" % (count, to))
        return got[-1]

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def body_of(msg):
    """The text body of a collected message (an entry of Mailbox.mails() or an email.message)."""
    m = msg["msg"] if isinstance(msg, dict) else msg
    return m.get_content()


def link_token(msg, kind):
    """The token of the one `kind` link ("verify", "set_password", "reset") in a
    message; fails if there is not exactly one such link."""
    path = LINK_PATHS[kind]
    found = re.findall(re.escape(path) + TOKEN_RE, body_of(msg))
    assert len(found) == 1, "expected one %s link in the mail, found %d" % (kind, len(found))
    return found[0]


def outbox_files(dirname):
    """The .eml files of an outbox folder, oldest first."""
    if not os.path.isdir(dirname):
        return []
    return sorted(os.path.join(dirname, f) for f in os.listdir(dirname) if f.endswith(".eml"))


try:
    import pytest

    @pytest.fixture
    def mailbox():
        """A plain SMTP server for one test, always stopped."""
        mb = Mailbox()
        yield mb
        mb.stop()
except ImportError:  # used outside pytest
    pass
