"""AC-6, SECURITY-REFERENCES §7 and §8 items 30-35: forgot/reset by a
mailed link: one answer for unknown emails, the link's host from
public_base_url, 15 minutes, single use (also two concurrent POSTs), a newer
link voids the older, a reset ends every session and does not sign in, a
notification mail, policy errors naming the rule."""
import os
import secrets
import threading
import time

import pytest

from pfclient import API, LINK_BASE, MINUTE_MS, Platform, body_of, err, new_email, pw, skip_unless_platform, fresh_ips

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


def account(pf):
    email, password = new_email("rs"), pw()
    pf.create_account(email, password)
    return email, password


def forgot(pf, email, count=1, headers=None):
    """Asks for a reset link; returns (token, monotonic time before the request)."""
    t = time.monotonic()
    r = pf.post("/password/forgot", {"email": email}, headers=headers)
    assert r.status_code == 202 and r.json() == {"status": "check_your_email"}, r.text
    return pf.wait_link(email, "reset", count=count), t


def reset(pf, token, new=None):
    new = new or pw()
    pf.remember(new)
    return pf.post("/password/reset", {"token": token, "new_password": new}), new


def test_forgot_same_answer_for_unknown_email(pf):
    email, _ = account(pf)
    known = pf.post("/password/forgot", {"email": email})
    unknown = pf.post("/password/forgot", {"email": new_email("nobody")})
    for r in (known, unknown):
        assert r.status_code == 202 and r.json() == {"status": "check_your_email"}
        assert "set-cookie" not in r.headers
    assert known.content == unknown.content
    pf.wait_link(email, "reset")


def test_link_host_comes_from_config_not_host_header(pf):
    email, _ = account(pf)
    forgot(pf, email, headers={"host": "evil.example", "x-forwarded-host": "evil.example"})
    body = body_of(pf.link_mails(email, "reset")[-1])
    assert LINK_BASE + "/console/reset#token=" in body and "evil.example" not in body


def test_valid_at_14_59(pf):
    email, _ = account(pf)
    token, t0 = forgot(pf, email)
    # 14:59 after the token was made at the latest: less the real time since the request
    pf.advance(15 * MINUTE_MS - 1000 - int((time.monotonic() - t0) * 1000) - 300)
    r, new = reset(pf, token)
    assert r.status_code == 204, r.text
    pf.login(email, new)


def test_refused_at_15_01(pf):
    email, password = account(pf)
    token, _ = forgot(pf, email)
    pf.advance(15 * MINUTE_MS + 1000)
    r, new = reset(pf, token)
    assert err(r)[:2] == (400, "token_invalid")
    pf.login(email, password)


def test_single_use(pf):
    email, _ = account(pf)
    token, _ = forgot(pf, email)
    r, new = reset(pf, token)
    assert r.status_code == 204
    r, _ = reset(pf, token)
    assert err(r)[:2] == (400, "token_invalid")
    pf.login(email, new)


def test_two_concurrent_posts_one_success(pf):
    for round_ in range(3):
        email, _ = account(pf)
        token, _ = forgot(pf, email)
        barrier, out = threading.Barrier(2), [None, None]

        def post(i):
            barrier.wait()
            out[i] = reset(pf, token)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r, _ in out)
        assert statuses == [204, 400], [(r.status_code, r.text) for r, _ in out]
        winner = [new for r, new in out if r.status_code == 204][0]
        loser = [new for r, new in out if r.status_code != 204][0]
        assert err([r for r, _ in out if r.status_code == 400][0])[1] == "token_invalid"
        pf.login(email, winner)
        assert err(pf.session().login(email, loser))[:2] == (401, "login_failed")


def test_newer_link_invalidates_older(pf):
    email, _ = account(pf)
    old, _ = forgot(pf, email, count=1)
    new_token, _ = forgot(pf, email, count=2)
    assert old != new_token
    r, _ = reset(pf, old)
    assert err(r)[:2] == (400, "token_invalid")
    r, _ = reset(pf, new_token)
    assert r.status_code == 204


def test_password_change_invalidates_outstanding_link(pf):
    email, password = account(pf)
    token, _ = forgot(pf, email)
    s = pf.login(email, password)
    new = pw()
    assert s.post(API + "/me/password", {"current_password": password, "new_password": new}).status_code == 204
    pf.remember(new)
    r, _ = reset(pf, token)
    assert err(r)[:2] == (400, "token_invalid")


def test_reset_ends_sessions_does_not_sign_in_and_notifies(pf):
    email, password = account(pf)
    a, b = pf.login(email, password), pf.login(email, password, bearer=True)
    token, _ = forgot(pf, email)
    before = len(pf.mailbox.mails(email))
    r, new = reset(pf, token)
    assert r.status_code == 204 and not r.content
    assert "set-cookie" not in r.headers
    assert not a.ok() and not b.ok()
    assert err(pf.session().login(email, password))[:2] == (401, "login_failed")
    note = pf.mailbox.wait_mail(email, count=before + 1)
    text = body_of(note)
    assert new not in text and password not in text and "#token=" not in text
    pf.login(email, new)


def test_policy_errors_name_the_rule_and_keep_the_token(pf):
    email, _ = account(pf)
    token, _ = forgot(pf, email)
    local = email.split("@")[0]
    cases = [("Sh0rt!x", "12"), ("x7#kq2!m9&wz4@pv", "uppercase"), ("X7#KQ2!M9&WZ4@PV", "lowercase"),
             ("Xk#Qz!Vw&Pm@Rt^Bn", "digit"), ("Xk7Qz9Vw2Pm4Rt5Bn", "special"), ("Password1234!", "common"),
             (local + "#X9z", "email")]
    for bad, word in cases:
        r, _ = reset(pf, token, bad)
        assert err(r) == (400, "password_policy", "new_password"), (bad, r.text)
        assert word in r.json()["error"]["message"].lower(), (bad, r.json()["error"]["message"])
    r, new = reset(pf, token)
    assert r.status_code == 204
    pf.login(email, new)


def test_only_the_hash_is_stored(pf):
    email, _ = account(pf)
    token, _ = forgot(pf, email)
    db = b""
    for suffix in ("", "-wal"):
        if os.path.exists(pf.gw.dir + "/maxgate.db" + suffix):
            db += open(pf.gw.dir + "/maxgate.db" + suffix, "rb").read()
    assert token.encode() not in db
    assert token not in pf.logs()


def test_wrong_token_shapes_get_one_answer(pf):
    def body(t):
        r, _ = reset(pf, t)
        doc = r.json()
        doc.pop("request_id", None)
        return r.status_code, doc
    ref = body(secrets.token_urlsafe(32))
    assert ref[0] == 400 and ref[1]["error"]["code"] == "token_invalid"
    for t in ("abc", secrets.token_urlsafe(33), "!" * 43, secrets.token_urlsafe(32) + "=", "", "mgs_" + "A" * 43):
        assert body(t) == ref, t


def test_a_token_works_only_for_its_own_kind(pf):
    email, password = new_email("kind"), pw()
    assert pf.post("/signup", {"email": email, "password": password}).status_code == 202
    verify = pf.wait_link(email, "verify")
    assert err(pf.post("/password/reset", {"token": verify, "new_password": pw()}))[:2] == (400, "token_invalid")
    assert err(pf.post("/password/set", {"token": verify, "new_password": pw()}))[:2] == (400, "token_invalid")
    assert pf.post("/signup/verify", {"token": verify}).status_code == 200
    token, _ = forgot(pf, email)
    assert err(pf.post("/signup/verify", {"token": token}))[:2] == (400, "token_invalid")
    assert err(pf.post("/password/set", {"token": token, "new_password": pw()}))[:2] == (400, "token_invalid")
    s = pf.login(email, password)
    for t in (s.token, s.token[4:], s.csrf):
        assert err(pf.post("/password/reset", {"token": t, "new_password": pw()}))[:2] == (400, "token_invalid")
    r, _ = reset(pf, token)
    assert r.status_code == 204


def test_no_link_for_a_pending_account(pf):
    pending = new_email("pend")
    assert pf.post("/signup", {"email": pending, "password": pw()}).status_code == 202
    r = pf.post("/password/forgot", {"email": pending})
    assert r.status_code == 202 and r.json() == {"status": "check_your_email"}
    marker, _ = account(pf)  # a later fact to wait for, then count
    forgot(pf, marker)
    assert not pf.link_mails(pending, "reset")


def test_no_link_for_a_suspended_account(pf):
    email, _ = account(pf)
    assert pf.admin().post(API + "/admin/accounts/%d/suspend" % pf.account_id(email)).status_code == 204
    assert pf.post("/password/forgot", {"email": email}).status_code == 202
    marker, _ = account(pf)
    forgot(pf, marker)
    assert not pf.link_mails(email, "reset")


def test_reset_page_get_does_not_consume_and_sends_no_referrer(pf):
    """§8 items 32 and 34: a mail scanner fetching the link (twice) does not
    use it up; the page tells the browser to send no Referer."""
    email, _ = account(pf)
    token, _ = forgot(pf, email)
    for _ in range(2):
        r = pf.call("GET", "/console/reset")  # the fragment (#token=...) never reaches a server
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        assert r.headers.get("referrer-policy") == "no-referrer"
    r, new = reset(pf, token)
    assert r.status_code == 204
    pf.login(email, new)
