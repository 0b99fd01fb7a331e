"""AC-4, SECURITY-REFERENCES §8 items 25-28: the session cookie, tokens,
CSRF, Bearer, idle (sliding) and absolute expiry on the test clock, logout,
listing and ending sessions, a password change ending the others, API keys
are not sessions."""
import base64
import os
import re

import pytest
import requests

from pfclient import API, COOKIE, COOKIE_TLS, DAY_MS, HOUR_MS, Platform, err, new_email, pw, skip_unless_platform

skip_unless_platform()


@pytest.fixture(scope="module")
def pf():
    p = Platform(accounts={"signup_mode": "open", "session_idle_hours": "24", "session_max_days": "30"})
    yield p
    p.stop()


def account(pf):
    email, password = new_email("ss"), pw()
    pf.create_account(email, password)
    return email, password


def with_cookie(pf, token, method="GET", path=API + "/me", headers=None):
    return requests.request(method, pf.url + path, cookies={COOKIE: token}, headers=headers, timeout=30)


def test_cookie_attributes_and_token_shape(pf):
    email, password = account(pf)
    s = pf.login(email, password)
    r = s.login_answer
    doc = r.json()
    assert set(doc["session"]) >= {"token", "expires_at", "csrf_token"}
    assert doc["account"]["email"] == email
    token = doc["session"]["token"]
    assert re.fullmatch(r"mgs_[A-Za-z0-9_-]{43}", token), token
    assert len(base64.urlsafe_b64decode(token[4:] + "=")) * 8 >= 128
    cookie = r.headers["set-cookie"]
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0] == COOKIE + "=" + token
    attrs = {p.split("=")[0].lower(): (p.split("=", 1)[1] if "=" in p else True) for p in parts[1:]}
    assert attrs.get("httponly") is True and attrs.get("samesite", "").lower() == "lax" and attrs.get("path") == "/"
    assert "domain" not in attrs
    assert "secure" not in attrs  # plain http here; with TLS the name is __Host-mg_session and Secure is set
    other = pf.login(email, password)
    assert other.token != token and other.csrf != s.csrf


def test_token_not_logged_or_stored(pf):
    email, password = account(pf)
    s = pf.login(email, password)
    assert s.me().status_code == 200
    b = pf.login(email, password, bearer=True)
    assert b.me().status_code == 200
    assert pf.post("/logout", headers={"authorization": "Bearer " + b.token}).status_code == 204
    logs = pf.logs()
    for t in (s.token, b.token, s.token[4:], b.token[4:], password):
        assert t not in logs
    db = b""
    for suffix in ("", "-wal"):
        if os.path.exists(pf.gw.dir + "/maxgate.db" + suffix):
            db += open(pf.gw.dir + "/maxgate.db" + suffix, "rb").read()
    assert s.token[4:].encode() not in db and b.token[4:].encode() not in db


def test_csrf_required_for_cookie_writes_not_for_bearer(pf):
    email, password = account(pf)
    s = pf.login(email, password)
    r = s.post(API + "/me/reauth", {"password": password}, csrf=False)
    assert err(r)[:2] == (403, "csrf")
    r = s.post(API + "/me/reauth", {"password": password}, headers={"x-csrf-token": "x" * len(s.csrf)})
    assert err(r)[:2] == (403, "csrf")
    assert s.me().status_code == 200  # reads need no token
    assert s.me().json()["csrf_token"] == s.csrf
    assert s.post(API + "/me/reauth", {"password": password}).status_code == 204
    r = s.request("DELETE", API + "/me/sessions", csrf=False)
    assert err(r)[:2] == (403, "csrf")
    r = s.post(API + "/logout", csrf=False)
    assert err(r)[:2] == (403, "csrf") and s.ok()
    b = pf.login(email, password, bearer=True)
    assert b.post(API + "/me/reauth", {"password": password}).status_code == 204
    assert b.request("DELETE", API + "/me/sessions").status_code == 204


def test_idle_expiry_slides(pf):
    email, password = account(pf)
    s = pf.login(email, password)
    pf.advance(DAY_MS - 1000)
    assert s.ok(), "valid at 24 h - 1 s of inactivity"
    pf.advance(DAY_MS - 1000)
    assert s.ok(), "the request at 24 h - 1 s slid the idle window"
    b = pf.login(email, password, bearer=True)
    pf.advance(DAY_MS + 1000)
    r = s.me()
    assert err(r)[:2] == (401, "session_expired"), r.text
    assert err(b.me())[:2] == (401, "session_expired")


def test_absolute_lifetime_30_days(pf):
    email, password = account(pf)
    s = pf.login(email, password)
    for _ in range(31):  # 31 x 23 h = 713 h, never idle for a day
        pf.advance(23 * HOUR_MS)
        assert s.ok()
    pf.advance(7 * HOUR_MS - 60 * 1000)  # 30 days - 1 min
    assert s.ok()
    pf.advance(61 * 1000)  # 30 days + 1 s
    assert err(s.me())[:2] == (401, "session_expired")


def test_logout_then_replay(pf):
    email, password = account(pf)
    s = pf.login(email, password)
    r = s.post(API + "/logout")
    assert r.status_code == 204
    assert "max-age=0" in r.headers.get("set-cookie", "").lower()
    assert with_cookie(pf, s.token).status_code == 401
    assert err(requests.get(pf.url + API + "/me", headers={"authorization": "Bearer " + s.token}, timeout=30))[0] == 401
    b = pf.login(email, password, bearer=True)
    assert b.post(API + "/logout").status_code == 204
    assert not b.ok()


def sessions_of(s):
    r = s.get(API + "/me/sessions")
    assert r.status_code == 200, r.text
    return r.json()["sessions"]


def current_id(s):
    return s.me().json()["session"]["id"]


def test_list_end_one_end_others(pf):
    email, password = account(pf)
    a, b, c = (pf.login(email, password) for _ in range(3))
    listing = sessions_of(a)
    assert len(listing) == 3
    assert [x["current"] for x in listing].count(True) == 1
    mine = [x for x in listing if x["current"]][0]
    assert mine["id"] == current_id(a) and mine["ip"] == "127.0.0.1" and "python-requests" in mine["user_agent"]
    for x in listing:
        assert {"created_at", "last_seen_at", "expires_at"} <= set(x)
    assert a.delete(API + "/me/sessions/%d" % current_id(b)).status_code == 204
    assert not b.ok() and c.ok()
    assert len(sessions_of(a)) == 2
    d = pf.login(email, password)
    assert a.delete(API + "/me/sessions").status_code == 204
    assert not c.ok() and not d.ok() and a.ok()
    assert [x["current"] for x in sessions_of(a)] == [True]


def test_password_change_ends_every_other_session(pf):
    email, password = account(pf)
    a, b = pf.login(email, password), pf.login(email, password, bearer=True)
    new = pw()
    r = a.post(API + "/me/password", {"current_password": "Wr0ng!pass99x", "new_password": new})
    assert err(r) == (400, "field_invalid", "current_password")
    r = a.post(API + "/me/password", {"current_password": password, "new_password": "short"})
    assert err(r) == (400, "password_policy", "new_password")
    assert b.ok()
    before = len(pf.mailbox.mails(email))
    r = a.post(API + "/me/password", {"current_password": password, "new_password": new})
    assert r.status_code == 204, r.text
    pf.remember(new)
    assert a.ok() and not b.ok()
    note = pf.mailbox.wait_mail(email, count=before + 1)  # "your password was changed"
    assert new not in str(note["raw"]) and password not in str(note["raw"])
    assert a.get(API + "/notifications").json()["unread"] >= 1
    assert err(pf.session().login(email, password))[:2] == (401, "login_failed")
    pf.login(email, new)


def test_api_key_is_not_a_session(pf):
    email, password = account(pf)
    key = pf.gw.admin("key", "create", "--email", email, "--name", "k", "--region", "gl").stdout.strip()
    assert key.startswith("mgk_")
    pf.remember(key)
    r = requests.get(pf.url + API + "/me", headers={"authorization": "Bearer " + key}, timeout=30)
    assert err(r)[:2] == (401, "session_required")
    r = requests.get(pf.url + API + "/me", timeout=30)
    assert err(r)[:2] == (401, "session_required")
    # a token the server does not know (only hashes are stored: unknown and ended
    # cannot be told apart) is a 401 of either code
    for h in ({"authorization": "Bearer mgs_" + "A" * 43}, {"authorization": "Bearer nonsense"},
              {"authorization": "Basic bWU6cHc="}):
        r = requests.get(pf.url + API + "/me", headers=h, timeout=30)
        assert err(r)[0] == 401 and err(r)[1] in ("session_required", "session_expired"), (h, r.text)
    assert err(with_cookie(pf, "mgs_" + "A" * 43))[0] == 401


def test_tls_cookie_is_host_prefixed_and_secure():
    p = Platform(tls=True, server={"public_base_url": "https://mail-links.example:1234"})
    try:
        email, password = account(p)
        s = p.login(email, password)
        cookie = s.login_answer.headers["set-cookie"]
        parts = [x.strip().lower() for x in cookie.split(";")]
        assert cookie.startswith(COOKIE_TLS + "=" + s.token + ";")
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= set(parts)
        assert not [x for x in parts if x.startswith("domain")]
        assert s.me().status_code == 200
        assert s.post(API + "/me/reauth", {"password": password}).status_code == 204
        assert err(s.post(API + "/me/reauth", {"password": password}, csrf=False))[:2] == (403, "csrf")
    finally:
        p.stop()


def test_every_cookie_write_needs_the_csrf_token(pf):
    email, password = account(pf)
    s = pf.login(email, password)
    other = pf.login(email, password)
    sid = other.me().json()["session"]["id"]
    notes = s.get(API + "/notifications").json()["notifications"]
    writes = [("POST", API + "/logout", None), ("POST", API + "/me/reauth", {"password": password}),
              ("POST", API + "/me/password", {"current_password": password, "new_password": pw()}),
              ("DELETE", API + "/me/sessions/%d" % sid, None), ("DELETE", API + "/me/sessions", None),
              ("POST", API + "/notifications/%d/read" % (notes[0]["id"] if notes else 1), None)]
    for method, path, body in writes:
        r = s.request(method, path, body, csrf=False)
        assert err(r)[:2] == (403, "csrf"), (method, path, r.text)
    assert s.ok() and other.ok()
    admin = pf.admin_login(bearer=False)
    aid = pf.account_id(email)
    for method, path, body in [("POST", "/admin/accounts/%d/suspend" % aid, None),
                               ("POST", "/admin/accounts/%d/end-sessions" % aid, None),
                               ("PATCH", "/admin/accounts/%d" % aid, {"role": "admin"}),
                               ("POST", "/admin/access-requests/1/approve", None),
                               ("POST", "/admin/recovery-requests/1/approve", None)]:
        r = admin.request(method, API + path, body, csrf=False)
        assert err(r)[:2] == (403, "csrf"), (method, path, r.text)
    assert s.ok() and s.me().json()["role"] == "user"


def test_notifications_list_and_read(pf):
    email, password = new_email("nt"), pw()
    s = pf.signup_and_verify(email, password)  # the welcome notification
    doc = s.get(API + "/notifications").json()
    assert doc["unread"] >= 1 and doc["notifications"]
    n = doc["notifications"][0]
    assert set(n) >= {"id", "time", "kind", "text", "read"} and n["read"] is False
    assert s.post(API + "/notifications/%d/read" % n["id"]).status_code == 204
    after = s.get(API + "/notifications").json()
    assert after["unread"] == doc["unread"] - 1
    assert [x["read"] for x in after["notifications"] if x["id"] == n["id"]] == [True]
    assert err(s.post(API + "/notifications/999999999/read"))[:2] == (404, "resource_not_found")


def test_session_ceiling_ends_the_oldest(pf):
    """At most 100 sessions per account (MG_SESSIONS_PER_ACCOUNT): the 101st
    login ends the oldest, never refuses."""
    email, password = account(pf)
    first = pf.login(email, password, bearer=True)
    for _ in range(99):
        assert pf.post("/login", {"email": email, "password": password}).status_code == 200
    assert first.ok()
    last = pf.login(email, password, bearer=True)
    assert not first.ok() and last.ok()
    assert len(last.get(API + "/me/sessions").json()["sessions"]) == 100


def test_csrf_token_is_bound_to_its_session(pf):
    email, password = account(pf)
    a, b = pf.login(email, password), pf.login(email, password)
    e2, p2 = account(pf)
    c = pf.login(e2, p2)
    for s, foreign in ((b, a.csrf), (c, a.csrf)):
        r = s.post(API + "/me/reauth", {"password": password if s is b else p2}, headers={"x-csrf-token": foreign})
        assert err(r)[:2] == (403, "csrf")


def test_idle_expired_sessions_are_not_listed(pf):
    email, password = account(pf)
    keep, idle = pf.login(email, password), pf.login(email, password)
    pf.advance(23 * HOUR_MS)
    assert keep.ok()
    pf.advance(2 * HOUR_MS)  # idle: 25 h without a request (and not touched since: no request ended it)
    listing = keep.get(API + "/me/sessions").json()["sessions"]
    detail = pf.admin().get(API + "/admin/accounts/%d" % pf.account_id(email)).json()
    assert not idle.ok()
    assert [x["current"] for x in listing] == [True], listing
    assert detail["sessions"] == 1


def test_step_up_issues_a_new_token(pf):
    """§8 item 26: a step-up by cookie gives the session a new token and CSRF token, and the fresh check
    belongs to the new one only: the old token keeps its plain rights for a minute (the page's requests
    already on their way) and then ends.  A Bearer session keeps its token and gets the step-up."""
    email, password = account(pf)
    s = pf.login(email, password)
    old_token, old_csrf = s.token, s.csrf
    pf.advance(HOUR_MS)  # the sign-in's own fresh check is over
    assert err(s.post(API + "/keys", {"name": "k"}))[:2] == (403, "reauth_required")
    r = s.post(API + "/me/reauth", {"password": password})
    assert r.status_code == 204, r.text
    assert r.headers["x-csrf-token"] not in ("", old_csrf)
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(COOKIE + "=mgs_") and old_token not in cookie and "HttpOnly" in cookie
    assert s.token != old_token and s.csrf == r.headers["x-csrf-token"]
    assert s.post(API + "/keys", {"name": "k"}).status_code == 201  # the new token holds the step-up

    def old(method, path, body=None, csrf=old_csrf):
        return requests.request(method, pf.url + API + path, cookies={COOKIE: old_token}, json=body,
                                headers={"x-csrf-token": csrf}, timeout=30)
    assert old("GET", "/me").status_code == 200  # still signed in, for a moment
    assert err(old("POST", "/keys", {"name": "k2"}))[:2] == (403, "reauth_required")  # but not stepped up
    assert err(s.post(API + "/keys", {"name": "k3"}, headers={"x-csrf-token": old_csrf}))[:2] == (403, "csrf")
    pf.advance(61 * 1000)
    assert old("GET", "/me").status_code == 401
    assert s.ok()
    # Bearer: the same token, now stepped up
    b = pf.login(email, password, bearer=True)
    pf.advance(HOUR_MS)
    assert err(b.post(API + "/keys", {"name": "b"}))[:2] == (403, "reauth_required")
    r = b.post(API + "/me/reauth", {"password": password})
    assert r.status_code == 204 and "x-csrf-token" not in r.headers and "set-cookie" not in r.headers
    assert b.post(API + "/keys", {"name": "b"}).status_code == 201
    assert "new session token" in str([e for e in pf.audit(type="reauth.success")])


def test_step_ups_never_push_out_another_device(pf):
    """Each step-up leaves a replaced session that ends a minute later: a new session clears the ended ones
    before the ceiling (100) counts, so many step-ups on one device never end the session of another."""
    email, password = account(pf)
    other = pf.login(email, password)
    s = pf.login(email, password)
    for _ in range(105):
        r = s.post(API + "/me/reauth", {"password": password})
        assert r.status_code == 204, r.text
        pf.advance(61 * 1000)
    assert other.ok() and s.ok()
    listed = s.get(API + "/me/sessions").json()["sessions"]
    assert len(listed) == 2, listed
