"""AC-1: sign-up in both modes.  open: email + password, then the mailed
verification link (once, 24 h), free credit on activation; request: "leave
your email", an admin approves, the set-password mail, login."""
import secrets

import pytest

from pfclient import API, LINK_BASE, DAY_MS, MINUTE_MS, Platform, err, new_email, pw, skip_unless_platform, fresh_ips

skip_unless_platform()

CREDIT = 5000000


@pytest.fixture(scope="module")
def pf():
    p = Platform(accounts={"signup_mode": "open", "free_credit_micros": str(CREDIT)})
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def own_ip(request):
    """Each test its own client address: the per-IP hourly limits of the public endpoints start empty."""
    fresh_ips(request, "pf", "rq")


@pytest.fixture(scope="module")
def rq():
    p = Platform(accounts={"signup_mode": "request", "free_credit_micros": str(CREDIT)})
    yield p
    p.stop()


def same_answer(a, b):
    """Status, body (without request_id) and cookies of two answers."""
    def strip(r):
        doc = r.json() if r.content else None
        if isinstance(doc, dict):
            doc.pop("request_id", None)
        return r.status_code, doc, r.headers.get("set-cookie")
    return strip(a) == strip(b)


# ---- open mode -------------------------------------------------------------------


def test_config_open(pf):
    r = pf.call("GET", API + "/config")
    assert r.status_code == 200
    doc = r.json()
    assert doc["signup_mode"] == "open" and doc["product"] == "maxgate"
    assert doc["public_base_url"] == LINK_BASE
    assert doc["password_policy"] == "default" and doc["password_min"] == 12 and doc["password_max"] == 128


def test_signup_same_answer_for_new_pending_and_active_email(pf):
    email, password = new_email("su"), pw()
    first = pf.post("/signup", {"email": email, "password": password})
    assert first.status_code == 202 and first.json() == {"status": "check_your_email"}
    token = pf.wait_link(email, "verify")
    again_pending = pf.post("/signup", {"email": email, "password": pw()})
    assert same_answer(first, again_pending)
    token = pf.wait_link(email, "verify", count=2)  # a repeated sign-up of a pending address mails a fresh link
    assert pf.post("/signup/verify", {"token": token}).status_code == 200
    again_active = pf.post("/signup", {"email": email, "password": pw()})
    assert same_answer(first, again_active)
    fresh = pf.post("/signup", {"email": new_email("su"), "password": pw()})
    assert same_answer(first, fresh)
    # the original password still works: a repeated sign-up changed nothing
    pf.login(email, password)


def test_verification_activates_with_free_credit_and_works_once(pf):
    email, password = new_email("ver"), pw()
    assert pf.post("/signup", {"email": email, "password": password}).status_code == 202
    token = pf.wait_link(email, "verify")
    # not active before verification: the one generic login error
    r = pf.session().login(email, password)
    assert err(r)[:2] == (401, "login_failed")
    r = pf.post("/signup/verify", {"token": token})
    assert r.status_code == 200 and r.json() == {"status": "verified"}
    again = pf.post("/signup/verify", {"token": token})
    assert err(again)[:2] == (400, "token_invalid")
    me = pf.login(email, password).me().json()
    assert me["email"] == email and me["status"] == "active" and me["role"] == "user"
    assert me["credit_micros"] == CREDIT and me["currency"] == "USD"


def test_wrong_and_expired_verification_tokens(pf):
    wrong = pf.post("/signup/verify", {"token": secrets.token_urlsafe(32)})
    assert err(wrong)[:2] == (400, "token_invalid")
    email, password = new_email("exp"), pw()
    assert pf.post("/signup", {"email": email, "password": password}).status_code == 202
    token = pf.wait_link(email, "verify")
    pf.advance(DAY_MS + MINUTE_MS)
    expired = pf.post("/signup/verify", {"token": token})
    assert err(expired)[:2] == (400, "token_invalid")
    assert same_answer(wrong, expired)
    assert err(pf.session().login(email, password))[:2] == (401, "login_failed")


def test_verification_link_lives_24_hours(pf):
    email, password = new_email("v24"), pw()
    assert pf.post("/signup", {"email": email, "password": password}).status_code == 202
    token = pf.wait_link(email, "verify")
    pf.advance(DAY_MS - MINUTE_MS)
    assert pf.post("/signup/verify", {"token": token}).status_code == 200


def test_open_mode_refuses_access_requests(pf):
    r = pf.post("/access-requests", {"email": new_email("ar")})
    assert err(r)[:2] == (403, "signup_closed")


def test_signup_password_policy_names_the_rule(pf):
    r = pf.post("/signup", {"email": new_email("pol"), "password": "Short1!"})
    status, code, field = err(r)
    assert (status, code, field) == (400, "password_policy", "password")
    assert "12" in r.json()["error"]["message"]


# ---- request mode ----------------------------------------------------------------


def pending(rq, email):
    r = rq.admin().get(API + "/admin/access-requests", params={"status": "pending"})
    assert r.status_code == 200, r.text
    return [x for x in r.json()["requests"] if x["email"] == email]


def test_config_request(rq):
    assert rq.call("GET", API + "/config").json()["signup_mode"] == "request"


def test_request_mode_refuses_signup(rq):
    r = rq.post("/signup", {"email": new_email("x"), "password": pw()})
    assert err(r)[:2] == (403, "signup_closed")


def test_access_request_always_202(rq):
    email = new_email("req")
    a = rq.post("/access-requests", {"email": email, "note": "we are a team of 5"})
    assert a.status_code == 202 and a.json() == {"status": "received"}
    b = rq.post("/access-requests", {"email": email})
    assert same_answer(a, b)
    rq.admin()  # an existing account's email
    c = rq.post("/access-requests", {"email": rq.admin_email})
    assert same_answer(a, c)
    reqs = pending(rq, email)
    assert len(reqs) >= 1 and reqs[0]["status"] == "pending" and reqs[0]["decided_at"] is None


def test_approve_set_password_login(rq):
    email, password = new_email("appr"), pw()
    assert rq.post("/access-requests", {"email": email, "note": "hello"}).status_code == 202
    (req,) = pending(rq, email)[:1]
    assert req["note"] == "hello"
    r = rq.admin().post(API + "/admin/access-requests/%d/approve" % req["id"])
    assert r.status_code == 204, r.text
    token = rq.wait_link(email, "set_password")
    r = rq.post("/password/set", {"token": token, "new_password": password})
    assert r.status_code == 204, r.text
    rq.remember(password)
    assert err(rq.post("/password/set", {"token": token, "new_password": pw()}))[:2] == (400, "token_invalid")
    me = rq.login(email, password).me().json()
    assert me["email"] == email and me["status"] == "active" and me["credit_micros"] == CREDIT
    r = rq.admin().get(API + "/admin/access-requests", params={"status": "approved"})
    assert [x for x in r.json()["requests"] if x["email"] == email and x["decided_at"]]
    types = {e["type"] for e in rq.audit()}
    assert {"access.requested", "access.approved"} <= types


def test_set_password_link_lives_72_hours(rq):
    for advance, ok in ((72 * 60 * MINUTE_MS - MINUTE_MS, True), (72 * 60 * MINUTE_MS + MINUTE_MS, False)):
        email = new_email("s72")
        assert rq.post("/access-requests", {"email": email}).status_code == 202
        (req,) = pending(rq, email)[:1]
        assert rq.admin().post(API + "/admin/access-requests/%d/approve" % req["id"]).status_code == 204
        token = rq.wait_link(email, "set_password")
        rq.advance(advance)
        r = rq.post("/password/set", {"token": token, "new_password": pw()})
        assert (r.status_code == 204) if ok else (err(r)[:2] == (400, "token_invalid")), (advance, r.text)


def test_nist_policy():
    p = Platform(accounts={"signup_mode": "open", "password_policy": "nist"})
    try:
        assert p.call("GET", API + "/config").json()["password_policy"] == "nist"
        email = new_email("nist")
        p.signup_and_verify(email, "correct horse battery staple")  # no classes needed
        r = p.post("/signup", {"email": new_email("nist"), "password": "password1234"})
        assert err(r) == (400, "password_policy", "password") and "common" in r.json()["error"]["message"]
        r = p.post("/signup", {"email": new_email("nist"), "password": "x" * 129})
        assert err(r) == (400, "password_policy", "password")
    finally:
        p.stop()


def test_default_policy_wants_classes(pf):
    r = pf.post("/signup", {"email": new_email("cls"), "password": "correct horse battery staple"})
    assert err(r) == (400, "password_policy", "password")


def test_deny_makes_no_account(rq):
    email = new_email("deny")
    assert rq.post("/access-requests", {"email": email}).status_code == 202
    (req,) = pending(rq, email)[:1]
    assert rq.admin().post(API + "/admin/access-requests/%d/deny" % req["id"]).status_code == 204
    r = rq.admin().get(API + "/admin/access-requests", params={"status": "denied"})
    assert [x for x in r.json()["requests"] if x["email"] == email]
    r = rq.admin().get(API + "/admin/accounts", params={"q": email})
    assert r.status_code == 200 and [a for a in r.json()["accounts"] if a["email"] == email] == []
    assert not rq.link_mails(email, "set_password")
    assert "access.denied" in {e["type"] for e in rq.audit()}


def test_email_case_and_spaces_are_one_account(pf):
    email, password = new_email("case"), pw()
    pf.signup_and_verify(email, password, login=False)
    for variant in (email.upper(), "  " + email + " "):
        assert pf.post("/signup", {"email": variant, "password": pw()}).status_code == 202
    pf.login(email.upper(), password)
    r = pf.admin().get(API + "/admin/accounts", params={"q": email.split("@")[0].lower()})
    assert len([a for a in r.json()["accounts"] if a["email"].lower() == email.lower()]) == 1


def test_verify_link_host_ignores_host_header_and_two_concurrent_verifies(pf):
    import threading
    email, password = new_email("hv"), pw()
    r = pf.post("/signup", {"email": email, "password": password}, headers={"host": "evil.example"})
    assert r.status_code == 202
    token = pf.wait_link(email, "verify")  # checks the link's host is public_base_url
    assert "evil.example" not in str(pf.link_mails(email, "verify")[-1]["raw"])
    barrier, out = threading.Barrier(2), []

    def post():
        barrier.wait()
        out.append(pf.post("/signup/verify", {"token": token}).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out) == [200, 400]
    assert pf.login(email, password).me().json()["credit_micros"] == CREDIT  # given once
