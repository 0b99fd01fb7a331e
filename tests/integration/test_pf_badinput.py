"""Issue 9 "Bad input" and IDOR: every endpoint with a JSON body answers a
non-object body, malformed JSON, an unknown field, a wrong type and a missing
field with 400 naming the field; a token of the wrong length or charset gets
the same answer as a wrong one; another account's objects answer exactly as
nonexistent ones; /me shows only the caller's own."""
import json
import secrets

import pytest

from pfclient import API, Platform, err, new_email, pw, skip_unless_platform, fresh_ips

skip_unless_platform()


@pytest.fixture(scope="module")
def pf():
    p = Platform(accounts={"signup_mode": "open"})
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def own_ip(request):
    """Each test its own client address: the per-IP hourly limits of the public endpoints start empty."""
    fresh_ips(request, "pf")


@pytest.fixture(scope="module")
def alice(pf):
    email, password = new_email("alice"), pw()
    pf.create_account(email, password)
    return email, password, pf.login(email, password)


@pytest.fixture(scope="module")
def bob(pf):
    email, password = new_email("bob"), pw()
    pf.create_account(email, password)
    return email, password, pf.login(email, password)


TOKEN = "A" * 43
# (method, path, auth, required fields with a valid value, optional fields with a valid value)
ENDPOINTS = [
    ("POST", "/signup", None, {"email": "x@example.com", "password": "Z7k#W2q!X9v$P4m%"}, {}),
    ("POST", "/signup/verify", None, {"token": TOKEN}, {}),
    ("POST", "/access-requests", None, {"email": "x@example.com"}, {"note": "n"}),
    ("POST", "/password/set", None, {"token": TOKEN, "new_password": "Z7k#W2q!X9v$P4m%"}, {}),
    ("POST", "/login", None, {"email": "nobody-bad@example.com", "password": "Z7k#W2q!X9v$P4m%"}, {}),
    ("POST", "/password/forgot", None, {"email": "nobody-bad@example.com"}, {}),
    ("POST", "/password/reset", None, {"token": TOKEN, "new_password": "Z7k#W2q!X9v$P4m%"}, {}),
    ("POST", "/recovery-requests", None, {"email": "nobody-bad@example.com", "description": "d"}, {}),
    ("POST", "/me/reauth", "user", {"password": "Wr0ng!pass99x"}, {}),
    ("POST", "/me/password", "user", {"current_password": "Wr0ng!pass99x", "new_password": "Z7k#W2q!X9v$P4m%"}, {}),
    ("PATCH", "/admin/accounts/%(bob)d", "admin", {}, {"plan": "free", "role": "user"}),
]
IDS = ["%s %s" % (m, p) for m, p, *_ in ENDPOINTS]


def sender(pf, alice, bob, auth):
    if auth == "user":
        return lambda m, p, **kw: alice[2].request(m, API + p, **kw)
    if auth == "admin":
        return lambda m, p, **kw: pf.admin().request(m, API + p % {"bob": bob[2].me().json()["id"]}, **kw)
    return lambda m, p, **kw: pf.call(m, API + p, kw.get("body"), raw=kw.get("raw"))


@pytest.mark.parametrize("ep", ENDPOINTS, ids=IDS)
def test_body_validation(pf, alice, bob, ep):
    method, path, auth, required, optional = ep
    send = sender(pf, alice, bob, auth)
    for raw in ("[]", '[{"email":"a"}]'):
        r = send(method, path, raw=raw)
        assert err(r)[:2] == (400, "json_not_object"), (raw, r.text)
    for raw in ('"text"', "1", "null", "true"):  # JSON texts too (RFC 8259), but not objects
        r = send(method, path, raw=raw)
        assert err(r)[:2] == (400, "json_not_object"), (raw, r.text)
    for raw in ("{", '{"email":}', "{'a':1}", '{"a":1}x', "\xff"):
        r = send(method, path, raw=raw.encode("latin-1") if raw == "\xff" else raw)
        assert err(r)[:2] == (400, "json_malformed"), (raw, r.text)
    good = {**required, **optional}
    r = send(method, path, body=dict(good, surprise=1))
    assert err(r) == (400, "field_invalid", "surprise"), r.text
    # a login without a password is a failed login (§8 item 10): the generic 401
    absent = (401, "login_failed", None) if path == "/login" else None
    for name in good:
        for wrong in (123, ["x"], {"a": 1}, True) + ((None,) if name in required else ()):
            r = send(method, path, body=dict(good, **{name: wrong}))
            if wrong is None and absent and name == "password":
                assert err(r) == absent, r.text
                continue
            assert err(r)[0] == 400 and err(r)[2] == name, (name, wrong, r.text)
    for name in required:
        body = {k: v for k, v in good.items() if k != name}
        r = send(method, path, body=body)
        if absent and name == "password":
            assert err(r) == absent, r.text
            continue
        assert err(r) == (400, "field_missing", name), (name, r.text)
        assert name in r.json()["error"]["message"]
    # a long string meets a bound (a 4xx), never storage or a crash
    for name in good:
        r = send(method, path, body=dict(good, **{name: "x" * 100000}))
        assert 400 <= r.status_code < 500, (name, r.status_code, r.text[:200])


def test_over_long_password_and_email(pf):
    r = pf.post("/signup", {"email": new_email("long"), "password": "Z7k#W2q!" * 17})
    assert err(r) == (400, "password_policy", "password")
    r = pf.post("/signup", {"email": "a" * 300 + "@example.com", "password": pw()})
    assert err(r) == (400, "field_invalid", "email")
    r = pf.post("/signup", {"email": "not-an-email", "password": pw()})
    assert err(r) == (400, "field_invalid", "email")


def strip(r):
    doc = r.json()
    doc.pop("request_id", None)
    return r.status_code, doc


GOOD_PW = {"new_password": "Z7k#W2q!X9v$P4m%"}


@pytest.mark.parametrize("path,extra", [("/signup/verify", {}), ("/password/reset", GOOD_PW),
                                        ("/password/set", GOOD_PW)])
def test_wrong_token_shapes_one_answer(pf, path, extra):
    ref = strip(pf.post(path, dict(extra, token=secrets.token_urlsafe(32))))
    assert ref[0] == 400 and ref[1]["error"]["code"] == "token_invalid"
    for t in ("x", secrets.token_urlsafe(31), secrets.token_urlsafe(33), secrets.token_urlsafe(200), "*" * 43,
              "é" * 43, "mgs_" + secrets.token_urlsafe(32), secrets.token_urlsafe(32) + "\n"):
        assert strip(pf.post(path, dict(extra, token=t))) == ref, t


def test_other_accounts_session_is_not_found(pf, alice, bob):
    a_sid = alice[2].me().json()["session"]["id"]
    other = bob[2].delete(API + "/me/sessions/%d" % a_sid)
    missing = bob[2].delete(API + "/me/sessions/999999999")
    assert err(other)[:2] == (404, "resource_not_found")
    assert strip(other) == strip(missing) or (other.status_code, other.json()["error"]) == \
        (missing.status_code, missing.json()["error"])
    assert alice[2].ok()
    assert err(bob[2].delete(API + "/me/sessions/abc"))[0] in (400, 404)


def test_me_endpoints_show_only_the_callers_own(pf, alice, bob):
    a, b = alice[2], bob[2]
    a_id, b_id = a.me().json()["id"], b.me().json()["id"]
    assert a_id != b_id and b.me().json()["email"] == bob[0]
    a_sids = {x["id"] for x in a.get(API + "/me/sessions").json()["sessions"]}
    b_sids = {x["id"] for x in b.get(API + "/me/sessions").json()["sessions"]}
    assert a_sids and b_sids and not (a_sids & b_sids)
    assert all(e["account_id"] == b_id for e in b.get(API + "/me/audit").json()["events"])
    r = b.get(API + "/me/audit", params={"account": a_id})
    assert all(e["account_id"] == b_id for e in r.json()["events"])
    notes = a.get(API + "/notifications")
    assert notes.status_code == 200
    for n in notes.json()["notifications"]:
        other = b.post(API + "/notifications/%d/read" % n["id"])
        missing = b.post(API + "/notifications/999999999/read")
        assert err(other)[:2] == err(missing)[:2] == (404, "resource_not_found")
    # bob's "end all others" leaves alice alone
    assert b.delete(API + "/me/sessions").status_code == 204
    assert a.ok() and b.ok()
    for method, path in (("GET", "/admin/accounts/%d" % a_id), ("POST", "/admin/accounts/%d/end-sessions" % a_id),
                         ("PATCH", "/admin/accounts/%d" % b_id)):
        r = b.request(method, API + path, {"role": "admin"} if method == "PATCH" else None)
        assert err(r)[:2] == (403, "forbidden")
    assert a.ok() and b.me().json()["role"] == "user"


def test_unknown_route_and_method(pf, alice):
    # API9.md named the route's 404 not_found; the registry's row is path_unknown (docs/api.md)
    assert err(pf.call("GET", API + "/nothing-here"))[:2] == (404, "path_unknown")
    assert err(pf.call("GET", API + "/login"))[:2] == (405, "method_not_allowed")
    assert err(pf.call("DELETE", API + "/config"))[:2] == (405, "method_not_allowed")
    r = alice[2].request("PUT", API + "/me", raw=json.dumps({}))
    assert err(r)[:2] == (405, "method_not_allowed")


def test_login_needs_a_json_content_type(pf):
    """A cross-site <form enctype=text/plain> can send a valid JSON text:
    accepting it would allow login CSRF (the victim's browser signed in to
    the attacker's account, keeping the SameSite=Lax cookie)."""
    email, password = new_email("ct"), pw()
    pf.create_account(email, password)
    # what <form enctype="text/plain"> with name='{"email":"…","password":"…' value='…"}' sends
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        r = pf.call("POST", API + "/login", raw=json.dumps({"email": email, "password": password}),
                    headers={"content-type": ctype})
        assert r.status_code in (400, 415) and "set-cookie" not in r.headers, (ctype, r.status_code)
