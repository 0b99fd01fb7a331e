"""The account platform (/platform/v1) for the black-box tests: a Platform
(maxgated with [accounts], [mail] pointed at a loopback Mailbox, a
public_base_url on another host than the server's, and the test clock), and
a Session (a client that keeps the session cookie and sends X-CSRF-Token on
writes, or uses the session token as Bearer).

    pf = Platform(accounts={"signup_mode": "open"})
    try:
        s = pf.signup_and_verify("a@example.com", pw())
        assert s.get("/platform/v1/me").json()["email"] == "a@example.com"
        pf.advance(15 * 60 * 1000)         # the server's clock, never a sleep
    finally:
        pf.stop()

Contract: docs/api.md "Platform API (/platform/v1)" (the shapes, error codes,
audit types and mail links as built)."""
import http.client
import itertools
import json
import re
import secrets
import urllib.parse

import pytest
import requests
import requests.adapters

import harness
from harness import Gateway, wait_for

try:  # tests/integration/mailbox.py (the mail branch) shadows the standard library's mailbox
    import mailbox as _mailbox
    Mailbox, link_token, body_of = _mailbox.Mailbox, _mailbox.link_token, _mailbox.body_of
    LINK_PATHS = _mailbox.LINK_PATHS
except (ImportError, AttributeError):
    Mailbox = link_token = body_of = LINK_PATHS = None

API = "/platform/v1"
# The host mail links must carry: not the server's own address (127.0.0.1:port),
# so a link built from the request's Host header cannot pass.
LINK_BASE = "http://mail-links.example:1234"
# Over plain http the cookie cannot be __Host- (that prefix requires Secure).
COOKIE = "mg_session"
COOKIE_TLS = "__Host-mg_session"

MINUTE_MS = 60 * 1000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

_UP, _DIG, _LOW, _SYM = "BCDFGHJKLMNPQRSTVWXZ", "2345678", "bcdfghjkmnpqrstvwxz", "!#%&*+=?@^~"
_seq = itertools.count(1)


def pw():
    """A fresh password every policy accepts: 16 characters alternating
    upper, digit, lower, symbol (no letter runs, so no dictionary word; no
    sequence of three)."""
    return "".join(secrets.choice(_UP) + secrets.choice(_DIG) + secrets.choice(_LOW) + secrets.choice(_SYM)
                   for _ in range(4))


def new_email(name="user"):
    """An address no other test of this run uses."""
    return "%s-%d-%s@example.com" % (name, next(_seq), secrets.token_hex(3))


def err(r):
    """(status, code, field) of a platform error answer; (status, None, None)
    when the body is not the error shape."""
    try:
        e = r.json()["error"]
        return r.status_code, e.get("code"), e.get("field")
    except (ValueError, KeyError, TypeError):
        return r.status_code, None, None


_platform_built = []


def skip_unless_platform():
    """Module-level guard: skips the module until the platform API is built
    (GET /platform/v1/config answers 404) or the loopback mailbox helper is
    missing.  Starts one throw-away server to ask, once per test run."""
    if Mailbox is None:
        pytest.skip("tests/integration/mailbox.py (the mail branch) is not here yet", allow_module_level=True)
    if not _platform_built:
        g = Gateway([], env={"MG_TEST_CLOCK": "1"})
        try:
            _platform_built.append(requests.get(g.url + API + "/config", timeout=10).status_code != 404)
        finally:
            g.stop()
    if not _platform_built[0]:
        pytest.skip("the platform API (/platform/v1) is not built yet", allow_module_level=True)


def call_from(source_ip, url, method, path, body=None, headers=None):
    """One request from a chosen loopback source address (127.0.0.x): how a
    test plays several client IPs.  Returns (status, headers, parsed body)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60, source_address=(source_ip, 0))
    try:
        h = {"content-type": "application/json", **(headers or {})}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = conn.getresponse()
        data = r.read()
        return r.status, r.headers, (json.loads(data) if data else None)
    finally:
        conn.close()


class _SourceAdapter(requests.adapters.HTTPAdapter):
    """Connections from one chosen loopback source address."""

    def __init__(self, source_ip):
        self.source_ip = source_ip
        super().__init__()

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source_ip, 0)
        return super().init_poolmanager(*args, **kw)


def http_from(source_ip):
    """A requests.Session whose connections come from source_ip (127.0.0.x)."""
    s = requests.Session()
    if source_ip:
        s.mount("http://", _SourceAdapter(source_ip))
        s.mount("https://", _SourceAdapter(source_ip))
    return s


_ips = itertools.count(20)


def fresh_ip():
    """A loopback address (127.0.0.22 on) no other test of this run uses:
    the per-IP hourly limits of the public endpoints start empty for it."""
    n = next(_ips)
    return "127.0.%d.%d" % (n // 250, n % 250 + 2)


def fresh_ips(request, *names):
    """For an autouse fixture: gives each Platform fixture among names that
    this test uses a fresh source address (fresh_ip())."""
    for name in names:
        if name in request.fixturenames:
            request.getfixturevalue(name).source = fresh_ip()


class Platform:
    """maxgated with the platform on: [accounts] from `accounts`, [mail] at a
    fresh loopback Mailbox (plain SMTP, starttls = off), [server]
    public_base_url = LINK_BASE, MG_TEST_CLOCK=1.  channels/env/extra go to
    harness.Gateway.  Always stop()."""

    def __init__(self, accounts=None, channels=(), env=None, extra=None, server=None, tls=False):
        self.mailbox = Mailbox()
        sections = {
            "server": {"public_base_url": LINK_BASE, **(server or {})},
            "accounts": dict(accounts or {}),
            "mail": {"smtp_url": self.mailbox.url, "starttls": "off", "from": "maxgate <noreply@maxgate.test>"},
        }
        for sec, kv in (extra or {}).items():
            sections.setdefault(sec, {}).update(kv)
        try:
            self.gw = Gateway(list(channels), extra=sections, env={"MG_TEST_CLOCK": "1", **(env or {})}, tls=tls)
        except BaseException:
            self.mailbox.stop()
            raise
        self._admin = None
        self.source = None  # the source address of call()/post() and new Sessions; None: 127.0.0.1
        self.secrets = []  # every password and token the tests used: none may appear in a log

    @property
    def url(self):
        return self.gw.url

    @property
    def verify(self):
        """What requests checks the server's certificate against (TLS only)."""
        return getattr(self.gw, "cert", True)

    def stop(self):
        """Stops the server and the mailbox; then no password or token the
        tests used may be in the server's logs (§8 item 52)."""
        try:
            rc = self.gw.stop()
        finally:
            self.mailbox.stop()
        assert rc == 0, "maxgated exited with %r" % rc
        logs = self.logs()
        leaked = sorted({s for s in self.secrets if len(s) >= 8 and s in logs})
        assert not leaked, "%d secret(s) in the server's logs, e.g. one of %d chars" % (len(leaked), len(leaked[0]))

    # ---- raw requests ------------------------------------------------------------

    def call(self, method, path, body=None, headers=None, raw=None):
        """One request without a session; body is sent as JSON, raw as given."""
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body)
        if data is not None:
            h.setdefault("content-type", "application/json")
        with http_from(self.source) as http:
            return http.request(method, self.url + path, data=data, headers=h, timeout=60, allow_redirects=False,
                                verify=self.verify)

    def post(self, path, body=None, **kw):
        return self.call("POST", API + path, body, **kw)

    def advance(self, ms):
        """Moves the server's clock forward by ms (MG_TEST_CLOCK=1)."""
        r = self.post("/test/clock", {"advance_ms": int(ms)})
        assert r.status_code in (200, 204), (r.status_code, r.text)
        self._admin = None  # the cached admin session may have expired

    def logs(self):
        return self.gw.logs()

    def remember(self, *values):
        """Records secrets (passwords, tokens) a log check must not find."""
        self.secrets.extend(v for v in values if v)

    # ---- mail --------------------------------------------------------------------

    def link_mails(self, to, kind):
        """The mails to `to` that carry a `kind` link, oldest first."""
        path = LINK_PATHS[kind] + "#token="
        return [m for m in self.mailbox.mails(to) if path in body_of(m)]

    def wait_link(self, to, kind, count=1, timeout=harness.WAIT_S):
        """The token of the newest `kind` link mailed to `to`, once at least
        `count` such mails arrived; checks the link's host is LINK_BASE."""
        ms = wait_for(lambda: (lambda l: l if len(l) >= count else None)(self.link_mails(to, kind)), timeout,
                      "%d %s mail(s) to %s" % (count, kind, to))
        m = ms[-1]
        token = link_token(m, kind)
        assert (LINK_BASE + LINK_PATHS[kind] + "#token=" + token) in body_of(m), body_of(m)
        self.remember(token)
        return token

    # ---- accounts ----------------------------------------------------------------

    def session(self, bearer=False):
        return Session(self, bearer=bearer)

    def login(self, email, password, bearer=False):
        """A Session logged in as email; fails the test if the login fails."""
        s = Session(self, bearer=bearer)
        r = s.login(email, password)
        assert r.status_code == 200, (r.status_code, r.text)
        return s

    def signup_and_verify(self, email, password, login=True):
        """Open mode: sign up, verify by the mailed link; returns a logged-in
        Session (or None with login=False)."""
        self.remember(password)
        n = len(self.link_mails(email, "verify"))
        r = self.post("/signup", {"email": email, "password": password})
        assert r.status_code == 202, (r.status_code, r.text)
        token = self.wait_link(email, "verify", count=n + 1)
        r = self.post("/signup/verify", {"token": token})
        assert r.status_code == 200, (r.status_code, r.text)
        return self.login(email, password) if login else None

    def create_account(self, email, password, admin=False):
        """An active account made by `maxgated admin user create` (any signup
        mode, no mail); returns its id."""
        self.remember(password)
        args = ["user", "create", "--email", email] + (["--admin"] if admin else [])
        r = self.gw.admin(*args, "--password-stdin", input=password + "\n", check=False)
        if r.returncode != 0:
            raise RuntimeError("maxgated admin user create failed: " + r.stderr)
        m = re.search(r"\d+", r.stdout)
        return int(m.group(0)) if m else None

    def user(self, name="user", password=None):
        """(email, password, Session) of a fresh active account."""
        email, password = new_email(name), password or pw()
        self.create_account(email, password)
        return email, password, self.login(email, password)

    def admin(self):
        """A logged-in admin Session (one admin per Platform; log in again
        with admin_login() after a test ended its sessions)."""
        if self._admin is None:
            self.admin_email, self.admin_password = new_email("admin"), pw()
            self.create_account(self.admin_email, self.admin_password, admin=True)
            self._admin = self.login(self.admin_email, self.admin_password, bearer=True)
        return self._admin

    def admin_login(self, bearer=True):
        self.admin()
        return self.login(self.admin_email, self.admin_password, bearer=bearer)

    def account_id(self, email):
        """The id of the account with this email, by the admin search."""
        r = self.admin().get(API + "/admin/accounts", params={"q": email})
        assert r.status_code == 200, r.text
        ids = [a["id"] for a in r.json()["accounts"] if a["email"] == email]
        assert len(ids) == 1, r.json()
        return ids[0]

    def audit(self, **params):
        """Every admin audit event matching params (all pages), oldest first."""
        out, cursor = [], None
        for _ in range(200):
            q = dict(params, limit=100)
            if cursor:
                q["cursor"] = cursor
            r = self.admin().get(API + "/admin/audit", params=q)
            assert r.status_code == 200, r.text
            doc = r.json()
            out += doc["events"]
            cursor = doc.get("next_cursor")
            if not cursor:
                break
        return sorted(out, key=lambda e: e["id"])


class Session:
    """A platform client: cookie mode keeps the cookie the server sets and
    sends X-CSRF-Token (from the login answer) on writes; bearer mode sends
    Authorization: Bearer <session token> and keeps no cookie."""

    def __init__(self, pf, bearer=False):
        self.pf = pf
        self.bearer = bearer
        self.http = http_from(pf.source)
        self.token = None
        self.csrf = None
        self.login_answer = None

    def login(self, email, password, extra_headers=None):
        r = self.pf.call("POST", API + "/login", {"email": email, "password": password}, headers=extra_headers)
        if r.status_code == 200:
            doc = r.json()
            self.login_answer = r
            self.token, self.csrf = doc["session"]["token"], doc["session"]["csrf_token"]
            self.pf.remember(self.token, self.csrf)
            self.http.cookies.clear()
            if not self.bearer:
                self.http.cookies.update(r.cookies)
        return r

    def request(self, method, path, body=None, raw=None, headers=None, csrf=True, params=None):
        h = {}
        if self.bearer and self.token:
            h["authorization"] = "Bearer " + self.token
        elif csrf and self.csrf and method not in ("GET", "HEAD"):
            h["x-csrf-token"] = self.csrf
        data = raw
        if body is not None:
            data = json.dumps(body)
        if data is not None:
            h["content-type"] = "application/json"
        h.update(headers or {})
        r = self.http.request(method, self.pf.url + path, data=data, headers=h, params=params, timeout=60,
                              allow_redirects=False, verify=self.pf.verify)
        if r.headers.get("x-csrf-token"):  # a step-up by cookie: a new token (the cookie jar took it) and CSRF
            self.csrf = r.headers["x-csrf-token"]
            for name in (COOKIE, COOKIE_TLS):
                if name in r.cookies:
                    self.token = r.cookies[name]
            self.pf.remember(self.token, self.csrf)
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def me(self):
        return self.get(API + "/me")

    def ok(self):
        """Whether this session is still accepted."""
        r = self.me()
        assert r.status_code in (200, 401), (r.status_code, r.text)
        return r.status_code == 200
