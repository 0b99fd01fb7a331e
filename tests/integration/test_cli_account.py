"""The CLI's account and admin commands (issue 9) against the real maxgated's
platform API (/platform/v1, contract docs/api.md and PLATFORM-API.md): sign-up
and verification by the mailed link, login with the session kept in the
profile (0600, never printed), sessions, password change, reset by mail, the
request mode, admin-only commands refused to a user.

The whole module is skipped while GET /platform/v1/config answers 404 (a
server without the platform API, before the lead's merge)."""
import email
import email.policy
import glob
import json
import os
import re
import stat
import subprocess
import tempfile

import pytest
import requests

from harness import BIN, SAN_ENV, Gateway, wait_for

PASSWORD = "Kp9!zR2#wQ4$tB6x"
NEW_PASSWORD = "Nx7?mV3&hJ8*cL5q"


def _platform_present():
    g = Gateway([])
    try:
        return requests.get(g.url + "/platform/v1/config", timeout=10).status_code != 404
    finally:
        g.stop()


def _gateway(mode):
    outbox = tempfile.mkdtemp(prefix="mgmail.")
    gw = Gateway([], extra={"accounts": {"signup_mode": mode},
                            "mail": {"outbox_dir": outbox},
                            "server": {"public_base_url": "http://console.test"}})
    gw.outbox = outbox
    return gw


@pytest.fixture(scope="module")
def gw():
    if not _platform_present():
        pytest.skip("GET /platform/v1/config answers 404: this maxgated has no platform API yet "
                    "(runs after the issue-9 merge)")
    g = _gateway("open")
    yield g
    g.stop()


def cli(*args, home=None, input=None, base=None):
    home = home or tempfile.mkdtemp(prefix="mgcli.")
    env = {**os.environ, **SAN_ENV, "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "cfg")}
    for k in ("MAXGATE_API_KEY", "MAXGATE_BASE_URL", "MAXGATE_PROFILE"):
        env.pop(k, None)
    if base:
        env["MAXGATE_BASE_URL"] = base
    r = subprocess.run([os.path.join(BIN, "maxgate"), *args], capture_output=True, text=True, env=env, cwd=home,
                       timeout=60, input=input)
    r.home = home
    return r


def err_json(r):
    return json.loads(r.stderr.strip().splitlines()[-1])["error"]


def profile(home):
    path = os.path.join(home, "cfg", "maxgate", "config.json")
    with open(path) as f:
        doc = json.load(f)
    return path, doc["profiles"][doc["current"]]


def mail_link(gw, to, kind):
    """The newest token of a mailed link /console/<kind>#token=T sent to `to`."""
    def find():
        found = []
        for p in sorted(glob.glob(os.path.join(gw.outbox, "*.eml")), key=os.path.getmtime):
            with open(p, "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            if to.lower() not in str(msg.get("To", "")).lower():
                continue
            parts = msg.walk() if msg.is_multipart() else [msg]
            text = "".join(part.get_content() for part in parts if part.get_content_maintype() == "text")
            found += re.findall(r"/console/%s#token=([A-Za-z0-9_-]{43})" % kind, text)
        return found[-1] if found else None
    return wait_for(find, what="a %s mail to %s" % (kind, to))


def signup_and_verify(gw, addr, password=PASSWORD):
    r = cli("account", "signup", "--email", addr, "--password-stdin", "--output", "json", input=password + "\n",
            base=gw.url)
    assert r.returncode == 0, r.stderr
    link = "http://console.test/console/verify#token=" + mail_link(gw, addr, "verify")
    r = cli("account", "verify", "--token", link, "--output", "json", base=gw.url)
    assert r.returncode == 0, r.stderr


def login(gw, addr, password=PASSWORD, home=None):
    return cli("account", "login", "--email", addr, "--password-stdin", "--output", "json", input=password + "\n",
               home=home, base=gw.url)


def test_signup_same_answer_and_policy_names_the_field(gw):
    r1 = cli("account", "signup", "--email", "twice@example.com", "--password-stdin", "--output", "json",
             input=PASSWORD + "\n", base=gw.url)
    r2 = cli("account", "signup", "--email", "twice@example.com", "--password-stdin", "--output", "json",
             input=PASSWORD + "\n", base=gw.url)
    assert r1.returncode == r2.returncode == 0, r1.stderr + r2.stderr
    assert json.loads(r1.stdout) == json.loads(r2.stdout) == {"status": "check_your_email"}
    r = cli("account", "signup", "--email", "weak@example.com", "--password-stdin", "--output", "json",
            input="short\n", base=gw.url)
    assert r.returncode == 1
    e = err_json(r)
    assert e["api_code"] == "password_policy" and e["field"] == "password" and "field password" in e["message"]


def test_password_needs_stdin_flag_when_not_a_terminal(gw):
    r = cli("account", "login", "--email", "x@example.com", "--output", "text", input=PASSWORD + "\n", base=gw.url)
    assert r.returncode == 2 and "--password-stdin" in r.stderr


def test_login_keeps_the_session_in_the_profile_never_prints_it(gw):
    signup_and_verify(gw, "alice@example.com")
    bad = login(gw, "alice@example.com", password="Wrong-password-1!")
    assert bad.returncode == 3 and err_json(bad)["api_code"] == "login_failed"
    r = login(gw, "alice@example.com")
    assert r.returncode == 0, r.stderr
    path, prof = profile(r.home)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    token = prof["session_token"]
    assert token.startswith("mgs_") and len(token) == 47
    assert prof["email"] == "alice@example.com" and prof["session_expires_at"].endswith("Z")
    assert token not in r.stdout + r.stderr
    shown = cli("config", "show", home=r.home)
    assert shown.returncode == 0 and token not in shown.stdout
    who = cli("account", "whoami", "--output", "json", home=r.home, base=gw.url)
    assert who.returncode == 0, who.stderr
    me = json.loads(who.stdout)
    assert me["email"] == "alice@example.com" and "csrf_token" not in me
    assert token not in who.stdout + who.stderr
    text = cli("account", "whoami", "--output", "text", home=r.home, base=gw.url)
    assert "alice@example.com" in text.stdout
    # the token goes only to the server that issued it
    other = cli("account", "whoami", "--base-url", "http://127.0.0.1:1", "--output", "json", home=r.home)
    assert other.returncode == 3 and "belongs to" in err_json(other)["message"]


def test_sessions_end_others_and_logout(gw):
    signup_and_verify(gw, "bob@example.com")
    a = login(gw, "bob@example.com")
    b = login(gw, "bob@example.com")
    assert a.returncode == b.returncode == 0
    r = cli("account", "sessions", "--output", "json", home=a.home, base=gw.url)
    assert r.returncode == 0, r.stderr
    sessions = json.loads(r.stdout)["sessions"]
    assert len(sessions) == 2 and sum(1 for s in sessions if s["current"]) == 1
    table = cli("account", "sessions", "list", "--output", "text", home=a.home, base=gw.url)
    assert table.returncode == 0 and table.stdout.splitlines()[0].split()[:2] == ["id", "this"]
    r = cli("account", "sessions", "end-others", "--output", "json", home=a.home, base=gw.url)
    assert r.returncode == 0, r.stderr
    gone = cli("account", "whoami", "--output", "json", home=b.home, base=gw.url)
    assert gone.returncode == 3 and err_json(gone)["api_code"] in ("session_required", "session_expired")
    assert "maxgate account login" in err_json(gone)["message"]
    assert "session_token" not in profile(b.home)[1]  # a dead session is forgotten
    # ending a session that is not there: 404, exit 1
    r = cli("account", "sessions", "end", "999999", "--output", "json", home=a.home, base=gw.url)
    assert r.returncode == 1 and err_json(r)["status"] == 404
    r = cli("account", "logout", "--output", "json", home=a.home, base=gw.url)
    assert r.returncode == 0, r.stderr
    assert "session_token" not in profile(a.home)[1]
    r = cli("account", "whoami", "--output", "json", home=a.home, base=gw.url)
    assert r.returncode == 3


def test_password_change_then_reset_by_mail(gw):
    signup_and_verify(gw, "carol@example.com")
    a = login(gw, "carol@example.com")
    wrong = cli("account", "password", "--password-stdin", "--output", "json",
                input="Not-the-password-1!\n" + NEW_PASSWORD + "\n", home=a.home, base=gw.url)
    assert wrong.returncode == 1 and err_json(wrong)["field"] == "current_password"
    r = cli("account", "password", "--password-stdin", "--output", "json",
            input=PASSWORD + "\n" + NEW_PASSWORD + "\n", home=a.home, base=gw.url)
    assert r.returncode == 0, r.stderr
    assert login(gw, "carol@example.com").returncode == 3
    assert login(gw, "carol@example.com", NEW_PASSWORD).returncode == 0
    r = cli("account", "forgot", "--email", "carol@example.com", "--output", "json", base=gw.url)
    unknown = cli("account", "forgot", "--email", "nobody@example.com", "--output", "json", base=gw.url)
    assert r.returncode == unknown.returncode == 0 and r.stdout == unknown.stdout
    token = mail_link(gw, "carol@example.com", "reset")
    r = cli("account", "reset", "--token", token, "--password-stdin", "--output", "json", input=PASSWORD + "\n",
            base=gw.url)
    assert r.returncode == 0, r.stderr
    again = cli("account", "reset", "--token", token, "--password-stdin", "--output", "json",
                input=NEW_PASSWORD + "\n", base=gw.url)
    assert again.returncode == 1 and err_json(again)["api_code"] == "token_invalid"
    assert login(gw, "carol@example.com").returncode == 0


def test_admin_commands_refused_to_a_user(gw):
    signup_and_verify(gw, "dave@example.com")
    a = login(gw, "dave@example.com")
    for args in (("admin", "accounts", "list"), ("admin", "audit"), ("admin", "access-requests", "list")):
        r = cli(*args, "--output", "json", home=a.home, base=gw.url)
        assert r.returncode == 3 and err_json(r)["api_code"] == "forbidden", (args, r.stderr)


def test_admin_flow(gw):
    if getattr(gw, "admin_email", None) is None:
        gw.make_admin()
    addr, pw = getattr(gw, "admin_email", None), getattr(gw, "admin_password", None)
    if not addr or not pw:
        pytest.skip("harness.Gateway exposes no first admin (admin_email / admin_password) yet")
    signup_and_verify(gw, "erin@example.com")
    adm = login(gw, addr, pw)
    assert adm.returncode == 0, adm.stderr
    r = cli("admin", "accounts", "list", "--query", "erin@", "--output", "json", home=adm.home, base=gw.url)
    assert r.returncode == 0, r.stderr
    [acct] = [a for a in json.loads(r.stdout)["accounts"] if a["email"] == "erin@example.com"]
    r = cli("admin", "accounts", "show", "erin@example.com", "--output", "json", home=adm.home, base=gw.url)
    assert r.returncode == 0 and json.loads(r.stdout)["id"] == acct["id"]
    user = login(gw, "erin@example.com")
    r = cli("admin", "accounts", "suspend", str(acct["id"]), "--output", "json", home=adm.home, base=gw.url)
    assert r.returncode == 0, r.stderr
    assert cli("account", "whoami", "--output", "json", home=user.home, base=gw.url).returncode == 3
    assert login(gw, "erin@example.com").returncode == 3
    r = cli("admin", "accounts", "unsuspend", str(acct["id"]), "--output", "json", home=adm.home, base=gw.url)
    assert r.returncode == 0, r.stderr
    r = cli("admin", "accounts", "set", str(acct["id"]), "--plan", "professional", "--output", "json",
            home=adm.home, base=gw.url)
    assert r.returncode == 0 and json.loads(r.stdout)["plan"] == "professional"
    r = cli("admin", "audit", "--account", str(acct["id"]), "--type", "account.suspended", "--output", "json",
            home=adm.home, base=gw.url)
    assert r.returncode == 0 and all(e["type"] == "account.suspended" for e in json.loads(r.stdout)["events"])
    assert json.loads(r.stdout)["events"]


def test_request_mode_points_to_request_access(gw):  # gw: skipped with the module
    g = _gateway("request")
    try:
        r = cli("account", "signup", "--email", "frank@example.com", "--password-stdin", "--output", "json",
                input=PASSWORD + "\n", base=g.url)
        assert r.returncode == 1 and "maxgate account request-access" in err_json(r)["message"]
        r = cli("account", "request-access", "--email", "frank@example.com", "--note", "team of 3",
                "--output", "json", base=g.url)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == {"status": "received"}
    finally:
        g.stop()


# ---- second factors (issue 10): enrol TOTP through the API, log in with the CLI ----

def totp(secret_b32, step):
    """RFC 6238 (SHA-1, 6 digits, 30 s) for a time step, from the base32 secret."""
    import base64
    import hashlib
    import hmac
    import struct
    s = secret_b32.replace(" ", "").upper()
    key = base64.b32decode(s + "=" * (-len(s) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def test_totp_helper_matches_rfc6238_appendix_b():
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert totp(secret, 59 // 30) == "287082"
    assert totp(secret, 1111111109 // 30) == "081804"
    assert totp(secret, 20000000000 // 30) == "353130"


def _step():
    import time
    return int(time.time()) // 30


@pytest.fixture(scope="module")
def mfa_gw(gw):
    r = requests.get(gw.url + "/platform/v1/me/mfa/webauthn", timeout=10)
    if r.status_code == 404:
        pytest.skip("GET /platform/v1/me/mfa/webauthn answers 404: this maxgated has no second factors yet "
                    "(runs after the issue-10 server lands)")
    return gw


def _bearer(gw, addr, password=PASSWORD):
    r = requests.post(gw.url + "/platform/v1/login", json={"email": addr, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["session"]["token"]}


def enrol_totp(gw, addr):
    """Enrols TOTP with the API; returns (secret, recovery codes, the step its first code used)."""
    h = _bearer(gw, addr)
    r = requests.post(gw.url + "/platform/v1/me/reauth", json={"password": PASSWORD}, headers=h, timeout=30)
    assert r.status_code in (200, 204), r.text
    r = requests.post(gw.url + "/platform/v1/me/mfa/totp", json={}, headers=h, timeout=30)
    assert r.status_code == 200, r.text
    secret = r.json()["secret_base32"]
    step = _step()
    r = requests.post(gw.url + "/platform/v1/me/mfa/totp/confirm", json={"code": totp(secret, step)}, headers=h,
                      timeout=30)
    assert r.status_code == 200, r.text
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10
    return secret, codes, step


def test_login_with_totp_then_a_recovery_code(mfa_gw):
    gw = mfa_gw
    addr = "mfa-cli@example.com"
    signup_and_verify(gw, addr)
    secret, codes, used = enrol_totp(gw, addr)
    # no code at all from a script: a usage error naming the ways to give one, no session
    r = login(gw, addr)
    assert r.returncode == 2 and "--totp-code" in err_json(r)["message"], r.stderr
    with pytest.raises(FileNotFoundError):
        profile(r.home)
    # a wrong code: refused, no session
    wrong = "%06d" % ((int(totp(secret, _step())) + 1) % 1000000)
    r = cli("account", "login", "--email", addr, "--password-stdin", "--totp-code", wrong, "--output", "json",
            input=PASSWORD + "\n", base=gw.url)
    assert r.returncode == 3 and err_json(r)["api_code"] == "mfa_failed", r.stderr
    # the authenticator code (a step after the one enrolment used: each step works once)
    code = totp(secret, max(used + 1, _step()))
    r = cli("account", "login", "--email", addr, "--password-stdin", "--totp-code", code, "--output", "json",
            input=PASSWORD + "\n", base=gw.url)
    assert r.returncode == 0, r.stderr
    assert code not in r.stdout + r.stderr
    _, prof = profile(r.home)
    assert prof["session_token"].startswith("mgs_")
    st = cli("account", "mfa", "status", "--output", "json", home=r.home, base=gw.url)
    assert st.returncode == 0, st.stderr
    mfa = json.loads(st.stdout)
    assert mfa["enabled"] is True and "totp" in mfa["methods"] and mfa["recovery_codes_left"] == 10
    text = cli("account", "mfa", "status", "--output", "text", home=r.home, base=gw.url)
    assert "authenticator app      set up" in text.stdout and "recovery codes left    10" in text.stdout
    # a recovery code as the stdin line after the password (a script's way)
    r = login(gw, addr, password=PASSWORD + "\n" + codes[0])
    assert r.returncode == 0, r.stderr
    assert codes[0] not in r.stdout + r.stderr
    st = cli("account", "mfa", "status", "--output", "json", home=r.home, base=gw.url)
    assert json.loads(st.stdout)["recovery_codes_left"] == 9
    # used once: the same recovery code no longer works (--recovery-code this time)
    r = cli("account", "login", "--email", addr, "--password-stdin", "--recovery-code", codes[0], "--output", "json",
            input=PASSWORD + "\n", base=gw.url)
    assert r.returncode == 3 and err_json(r)["api_code"] == "mfa_failed", r.stderr
    r = cli("account", "login", "--email", addr, "--password-stdin", "--recovery-code", codes[1], "--output", "json",
            input=PASSWORD + "\n", base=gw.url)
    assert r.returncode == 0, r.stderr
