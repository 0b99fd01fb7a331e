"""Second factors against the real server (AC-7, AC-8; SECURITY-REFERENCES §8
items 13-17, 24, 29): authenticator app enrolment, the login's second step,
replays and skew, concurrency, recovery codes, K wrong codes, step-up with
the test clock, removal, and recovery approval clearing every factor.  Codes
are computed here (RFC 6238) from the secret the server showed, at the
server's time (the test clock's offset is tracked)."""
import base64
import hashlib
import hmac
import os
import re
import struct
import threading
import time

import pytest

import harness

from pfclient import API, Platform, err, new_email, pw, skip_unless_platform

skip_unless_platform()

MIN_MS = 60 * 1000


class Clock:
    def __init__(self, pf):
        self.pf, self.offset_s = pf, 0.0

    def advance(self, ms):
        self.pf.advance(ms)
        self.offset_s += ms / 1000.0

    def now(self):
        return time.time() + self.offset_s


@pytest.fixture(scope="module")
def pf():
    p = Platform(accounts={"signup_mode": "open", "lockout_threshold": "5", "reauth_minutes": "10"})
    p.clock = Clock(p)
    yield p
    p.stop()


def totp(secret_b32, t=None, step=None):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = step if step is not None else int(t // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def enrolled(pf):
    """(email, password, session, secret, recovery codes) of a fresh account with an authenticator app."""
    email, password = new_email("mfa"), pw()
    pf.create_account(email, password)
    s = pf.login(email, password)
    r = s.post(API + "/me/mfa/totp")
    assert r.status_code == 200, r.text
    doc = r.json()
    secret = doc["secret_base32"]
    pf.remember(secret)
    assert doc["otpauth_uri"].startswith("otpauth://totp/") and "secret=" + secret in doc["otpauth_uri"]
    assert doc["qr_svg"].startswith("<svg") and "style=" not in doc["qr_svg"]
    assert err(s.post(API + "/me/mfa/totp/confirm", {"code": "000000" if totp(secret, pf.clock.now()) != "000000"
                                                      else "111111"}))[:3] == (401, "mfa_failed", "code")
    # a used step: confirm with the code of the step before now, so the login below can use now's
    r = s.post(API + "/me/mfa/totp/confirm", {"code": totp(secret, step=int(pf.clock.now() // 30) - 1)})
    assert r.status_code == 200, r.text
    codes = r.json()["recovery_codes"]
    pf.remember(*codes)
    return email, password, s, secret, codes


def second_step(pf, email, password):
    r = pf.post("/login", {"email": email, "password": password})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["mfa_required"] is True and "session" not in doc and not r.cookies
    pf.remember(doc["mfa_token"])
    return doc


def test_enrol_then_sign_in_with_the_app(pf):
    email, password, s, secret, codes = enrolled(pf)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[2-9A-HJ-NP-Z]{6}(-[2-9A-HJ-NP-Z]{6}){3}", c) for c in codes)
    mfa = s.me().json()["mfa"]
    assert mfa["enabled"] and mfa["methods"] == ["totp"] and mfa["recovery_codes_left"] == 10
    doc = second_step(pf, email, password)
    assert doc["methods"] == ["totp", "recovery_code"]
    assert err(pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "totp_code": "12345"}))[:2] == (401, "mfa_failed")
    r = pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "totp_code": totp(secret, pf.clock.now())})
    assert r.status_code == 200, r.text
    assert r.json()["session"]["token"].startswith("mgs_") and r.json()["account"]["mfa"]["enabled"]
    # the second step is single use
    assert err(pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "totp_code": totp(secret, pf.clock.now())})) \
        [:3] == (401, "mfa_failed", "mfa_token")
    types = [e["type"] for e in pf.audit(account=pf.account_id(email))]
    assert "mfa.totp_enabled" in types and "login.password_ok" in types and "login.success" in types


def test_a_code_is_accepted_once_and_an_older_step_never(pf):
    email, password, s, secret, codes = enrolled(pf)
    step = int(pf.clock.now() // 30)
    doc = second_step(pf, email, password)
    assert pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "totp_code": totp(secret, step=step)}).status_code == 200
    doc = second_step(pf, email, password)
    for stale in (step, step - 1, step - 2):  # the same code again, the step before, two steps back
        assert err(pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "totp_code": totp(secret, step=stale)})) \
            [:2] == (401, "mfa_failed"), stale
    assert err(pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "totp_code": totp(secret, step=step + 3)})) \
        [:2] == (401, "mfa_failed")  # two steps ahead of the server is refused too
    r = pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "totp_code": totp(secret, step=step + 1)})
    assert r.status_code == 200, r.text  # one step of skew ahead is accepted


def test_two_submissions_of_one_code_give_one_session(pf):
    email, password, s, secret, codes = enrolled(pf)
    code = totp(secret, pf.clock.now())
    tokens = [second_step(pf, email, password)["mfa_token"] for _ in range(2)]
    barrier, got = threading.Barrier(2), []

    def submit(t):
        barrier.wait()
        got.append(pf.post("/login/mfa", {"mfa_token": t, "totp_code": code}).status_code)
    ts = [threading.Thread(target=submit, args=(t,)) for t in tokens]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(got) == [200, 401], got


def test_recovery_codes_work_once_and_regenerating_voids_them(pf):
    email, password, s, secret, codes = enrolled(pf)
    doc = second_step(pf, email, password)
    r = pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "recovery_code": codes[0].lower().replace("-", " ")})
    assert r.status_code == 200, r.text
    harness.wait_for(lambda: any("recovery code" in m["msg"]["Subject"] for m in pf.mailbox.mails(email)),
                     what="the mail that says a recovery code was used")
    doc = second_step(pf, email, password)
    assert err(pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "recovery_code": codes[0]}))[:2] == \
        (401, "mfa_failed")
    # two submissions of one code at once: one success
    tokens = [second_step(pf, email, password)["mfa_token"] for _ in range(2)]
    barrier, got = threading.Barrier(2), []

    def submit(t):
        barrier.wait()
        got.append(pf.post("/login/mfa", {"mfa_token": t, "recovery_code": codes[1]}).status_code)
    ts = [threading.Thread(target=submit, args=(t,)) for t in tokens]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(got) == [200, 401], got
    assert s.me().json()["mfa"]["recovery_codes_left"] == 8
    r = s.post(API + "/me/mfa/recovery-codes")
    assert r.status_code == 200, r.text
    fresh = r.json()["recovery_codes"]
    pf.remember(*fresh)
    doc = second_step(pf, email, password)
    assert err(pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "recovery_code": codes[2]}))[:2] == \
        (401, "mfa_failed")
    assert pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "recovery_code": fresh[0]}).status_code == 200
    types = [e["type"] for e in pf.audit(account=pf.account_id(email))]
    assert "mfa.recovery_used" in types and "mfa.recovery_regenerated" in types


def test_five_wrong_codes_restart_the_sign_in_and_count_toward_the_lock(pf):
    email, password, s, secret, codes = enrolled(pf)
    for attempt in range(5):
        doc = second_step(pf, email, password)
        for i in range(5):
            r = pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "totp_code": "%06d" % (111111 * (i + 1) % 999999)})
            assert err(r)[:2] == (401, "mfa_failed")
        assert err(r)[2] == "mfa_token"  # the fifth ends the attempt
        assert err(pf.post("/login/mfa", {"mfa_token": doc["mfa_token"], "totp_code": totp(secret, pf.clock.now())})) \
            [:3] == (401, "mfa_failed", "mfa_token")
    # five restarted sign-ins are five failed logins: the account is locked, even with the right password
    assert err(pf.post("/login", {"email": email, "password": password}))[:2] == (401, "login_failed")
    detail = pf.admin().get(API + "/admin/accounts/%d" % pf.account_id(email)).json()
    assert detail["locked"] is True


def test_changes_need_a_fresh_check_and_a_second_factor_gives_it(pf):
    email, password, s, secret, codes = enrolled(pf)
    pf.clock.advance(11 * MIN_MS)
    assert err(s.post(API + "/me/mfa/recovery-codes"))[:2] == (403, "reauth_required")
    assert err(s.delete(API + "/me/mfa/totp"))[:2] == (403, "reauth_required")
    assert err(s.post(API + "/me/reauth", {"totp_code": "000000" if totp(secret, pf.clock.now()) != "000000"
                                           else "111111"}))[:2] == (401, "mfa_failed")
    assert err(s.post(API + "/me/reauth", {"password": password, "totp_code": "123456"}))[:2] == (400, "field_invalid")
    r = s.post(API + "/me/reauth", {"totp_code": totp(secret, pf.clock.now())})
    assert r.status_code == 204, r.text
    assert s.post(API + "/me/mfa/recovery-codes").status_code == 200
    pf.clock.advance(11 * MIN_MS)
    assert s.post(API + "/me/reauth", {"password": password}).status_code == 204
    assert s.delete(API + "/me/mfa/totp").status_code == 204
    mfa = s.me().json()["mfa"]
    assert mfa == {"enabled": False, "methods": [], "recovery_codes_left": 0, "security_keys": 0}
    r = pf.post("/login", {"email": email, "password": password})
    assert r.status_code == 200 and "session" in r.json()  # no second step without a factor
    types = [e["type"] for e in pf.audit(account=pf.account_id(email))]
    assert "mfa.totp_removed" in types


def test_recovery_approval_clears_every_factor(pf):
    email, password, s, secret, codes = enrolled(pf)
    assert pf.post("/recovery-requests", {"email": email, "description": "lost my phone and password"}).status_code == 202
    adm = pf.admin()
    reqs = adm.get(API + "/admin/recovery-requests", params={"status": "pending"}).json()["requests"]
    req = [q for q in reqs if q["email"] == email][0]
    assert adm.post(API + "/admin/recovery-requests/%d/approve" % req["id"]).status_code == 204
    token = pf.wait_link(email, "reset")
    new = pw()
    pf.remember(new)
    assert pf.post("/password/reset", {"token": token, "new_password": new}).status_code == 204
    r = pf.post("/login", {"email": email, "password": new})
    assert r.status_code == 200 and "session" in r.json(), r.text
    assert r.json()["account"]["mfa"]["enabled"] is False


def test_the_secret_is_sealed_at_rest(pf):
    email, password, s, secret, codes = enrolled(pf)
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    with open(os.path.join(pf.gw.dir, "maxgate.db"), "rb") as f:
        db = f.read()
    for name in os.listdir(pf.gw.dir):
        if name.startswith("maxgate.db-"):
            with open(os.path.join(pf.gw.dir, name), "rb") as f:
                db += f.read()
    assert raw not in db and secret.encode() not in db
    assert all(c.encode() not in db and c.replace("-", "").encode() not in db for c in codes)
    # and the secret is shown only during enrolment
    assert secret not in s.me().text


def test_security_key_endpoints_refuse_what_is_not_a_registration(pf):
    email, password, s = pf.user("wa")
    assert s.get(API + "/me/mfa/webauthn").json() == {"keys": []}
    r = s.post(API + "/me/mfa/webauthn/options", {"name": "YubiKey"})
    assert r.status_code == 200, r.text
    pk = r.json()["publicKey"]
    assert len(base64.urlsafe_b64decode(pk["challenge"] + "==")) == 32
    assert pk["rp"]["id"] == "mail-links.example" and [p["alg"] for p in pk["pubKeyCredParams"]] == [-7, -8, -257]
    bogus = {"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "e30",
                                                                         "attestationObject": "oA"}}
    assert err(s.post(API + "/me/mfa/webauthn", {"name": "YubiKey", "credential": bogus}))[:3] == \
        (400, "webauthn_invalid", "credential")
    # the challenge was single use: a second try needs new options
    r = s.post(API + "/me/mfa/webauthn", {"name": "YubiKey", "credential": bogus})
    assert err(r)[:2] == (400, "webauthn_invalid") and "again" in r.json()["error"]["message"]
    assert err(s.delete(API + "/me/mfa/webauthn/999999"))[:2] == (404, "resource_not_found")
    # no key: a second step by security key cannot start
    assert err(pf.post("/login/webauthn/options", {"mfa_token": "mfl_" + "A" * 43}))[:2] == (401, "mfa_failed")
