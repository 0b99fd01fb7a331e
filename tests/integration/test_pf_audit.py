"""AC-10, SECURITY-REFERENCES §8 item 52: every security event the flows
produce is in the audit log with a UTC time, the account, the IP and no
secret; users see only theirs, admins see all; X-Forwarded-For counts only
from a trusted proxy (trusted_proxies = 127.0.0.1; 127.0.0.3 plays an
untrusted peer)."""
import json
import re

import pytest

from pfclient import API, Platform, call_from, err, fresh_ip, new_email, pw, skip_unless_platform

skip_unless_platform()

RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
# Events produced by the flows below (the request-mode ones, access.*, are
# checked in test_pf_signup.py; recovery.* and account.* also in test_pf_admin.py).
FLOW_TYPES = {"signup", "signup.verified", "login.success", "login.failure", "login.locked", "logout",
              "session.revoked", "sessions.revoked_all", "password.changed", "password.reset_requested",
              "password.reset", "reauth.success", "reauth.failure", "recovery.requested", "recovery.approved",
              "recovery.denied", "account.suspended", "account.unsuspended", "account.unlocked",
              "account.sessions_ended", "account.updated"}


@pytest.fixture(scope="module")
def pf():
    p = Platform(accounts={"signup_mode": "open", "trusted_proxies": "127.0.0.1"})
    yield p
    p.stop()


@pytest.fixture(scope="module")
def flows(pf):
    """Runs every flow once; returns {name: (email, password, id)}."""
    admin = pf.admin()
    out = {}
    email, password = new_email("au"), pw()
    s = pf.signup_and_verify(email, password)  # signup, signup.verified, login.success
    aid = s.me().json()["id"]
    out["main"] = (email, password, aid)
    assert s.post(API + "/me/reauth", {"password": "Wr0ng!pass99x"}).status_code in (400, 401, 403)
    assert s.post(API + "/me/reauth", {"password": password}).status_code == 204
    other = pf.login(email, password)
    assert s.delete(API + "/me/sessions/%d" % other.me().json()["session"]["id"]).status_code == 204
    pf.login(email, password)
    assert s.delete(API + "/me/sessions").status_code == 204
    new = pw()
    pf.remember(new)
    assert s.post(API + "/me/password", {"current_password": password, "new_password": new}).status_code == 204
    assert s.post(API + "/logout").status_code == 204
    assert pf.post("/password/forgot", {"email": email}).status_code == 202
    token = pf.wait_link(email, "reset")
    password = pw()
    pf.remember(password)
    assert pf.post("/password/reset", {"token": token, "new_password": password}).status_code == 204
    out["main"] = (email, password, aid)
    # a locked, unlocked, suspended, unsuspended, updated, ended account
    e2, p2 = new_email("au2"), pw()
    pf.create_account(e2, p2)
    for _ in range(5):
        pf.session().login(e2, "Wr0ng!pass99x")
    id2 = pf.account_id(e2)
    for action in ("unlock", "suspend", "unsuspend", "end-sessions"):
        assert admin.post(API + "/admin/accounts/%d/%s" % (id2, action)).status_code == 204
    assert admin.patch(API + "/admin/accounts/%d" % id2, {"plan": "professional"}).status_code == 200
    out["second"] = (e2, p2, id2)
    # recovery: one approved, one denied
    for verb in ("approve", "deny"):
        assert pf.post("/recovery-requests", {"email": e2, "description": verb}).status_code == 202
        r = admin.get(API + "/admin/recovery-requests", params={"status": "pending"})
        (req,) = [x for x in r.json()["requests"] if x["email"] == e2]
        assert admin.post(API + "/admin/recovery-requests/%d/%s" % (req["id"], verb)).status_code == 204
    pf.wait_link(e2, "reset")
    return out


def test_every_flow_event_is_recorded_with_time_account_ip(pf, flows):
    events = pf.audit()
    types = {e["type"] for e in events}
    assert FLOW_TYPES <= types, "missing: %s" % sorted(FLOW_TYPES - types)
    ids = {v[2] for v in flows.values()}
    for e in events:
        assert RFC3339_UTC.fullmatch(e["time"]), e
        assert set(e) >= {"id", "time", "type", "account_id", "actor_id", "ip", "detail"}
        if e["type"] in FLOW_TYPES and e["account_id"] in ids:
            assert e["ip"] == "127.0.0.1", e
    main_id = flows["main"][2]
    mine = {e["type"] for e in events if e["account_id"] == main_id}
    assert {"signup", "signup.verified", "login.success", "password.changed", "password.reset"} <= mine
    admin_id = pf.admin().me().json()["id"]
    acts = [e for e in events if e["type"] == "account.suspended"]
    assert acts and all(e["actor_id"] == admin_id and e["account_id"] == flows["second"][2] for e in acts)


def test_admin_creation_is_audited(pf):
    first, second = new_email("init"), new_email("cli")
    p1, p2 = pw(), pw()
    pf.remember(p1, p2)
    pf.gw.admin_run("init", "--admin-email", first, "--admin-password-stdin", input=p1 + "\n")
    pf.create_account(second, p2, admin=True)
    created = {e["account_id"] for e in pf.audit(type="admin.created")}
    assert {pf.account_id(first), pf.account_id(second)} <= created


def test_no_secret_in_audit_or_logs(pf, flows):
    text = json.dumps(pf.audit()) + json.dumps(pf.admin().get(API + "/me/audit").json())
    for e, p, i in flows.values():
        text += json.dumps(pf.login(e, p).get(API + "/me/audit").json())
    logs = pf.logs()
    assert pf.secrets
    for secret in set(pf.secrets):
        assert secret not in text, "a secret in the audit log"
        assert secret not in logs, "a secret in the server log"
        if secret.startswith("mgs_"):
            assert secret[4:] not in logs


def test_users_see_only_their_own_events(pf, flows):
    for e, p, i in flows.values():
        s = pf.login(e, p)
        events, cursor = [], None
        for _ in range(100):
            r = s.get(API + "/me/audit", params=dict(limit=3, **({"cursor": cursor} if cursor else {})))
            assert r.status_code == 200, r.text
            doc = r.json()
            assert len(doc["events"]) <= 3
            events += doc["events"]
            cursor = doc["next_cursor"]
            if not cursor:
                break
        assert events and all(ev["account_id"] == i for ev in events), events
        assert len({ev["id"] for ev in events}) == len(events)
        assert {ev["id"] for ev in events} == {ev["id"] for ev in pf.audit(account=i)}
        r = s.get(API + "/me/audit", params={"account": flows["second" if i == flows["main"][2] else "main"][2]})
        assert all(ev["account_id"] == i for ev in r.json()["events"])


def test_admin_filters_by_type(pf, flows):
    events = pf.audit(type="login.success")
    assert events and all(e["type"] == "login.success" for e in events)
    assert len({e["account_id"] for e in events}) >= 2


def login_ip(pf, email, password, source, xff):
    status, _, doc = call_from(source, pf.url, "POST", API + "/login", {"email": email, "password": password},
                               headers={"x-forwarded-for": xff})
    assert status == 200, doc
    aid = doc["account"]["id"]
    pf.remember(doc["session"]["token"])
    return [e for e in pf.audit(account=aid, type="login.success")][-1]["ip"]


def test_forwarded_for_only_from_a_trusted_proxy(pf):
    email, password = new_email("xff"), pw()
    pf.create_account(email, password)
    assert login_ip(pf, email, password, "127.0.0.3", "203.0.113.7") == "127.0.0.3"
    assert login_ip(pf, email, password, "127.0.0.1", "203.0.113.7") == "203.0.113.7"
    # the proxy appends the peer it saw: the client cannot prepend a fake one
    assert login_ip(pf, email, password, "127.0.0.1", "198.51.100.9, 203.0.113.8") == "203.0.113.8"
    s = pf.login(email, password)
    ips = {x["ip"] for x in s.get(API + "/me/sessions").json()["sessions"]}
    assert "203.0.113.7" in ips and "127.0.0.3" in ips


def test_audit_error_shapes(pf, flows):
    s = pf.login(*flows["main"][:2])
    assert err(s.get(API + "/admin/audit"))[:2] == (403, "forbidden")
    r = s.get(API + "/me/audit", params={"limit": "abc"})
    assert err(r)[0] == 400


def test_per_ip_limits_key_on_the_real_client_ip(pf):
    """§8 item 8: behind the trusted proxy each X-Forwarded-For client has
    its own budget; an untrusted peer cannot escape its budget with one."""
    untrusted = fresh_ip()
    for i in range(20):
        status, _, _ = call_from(untrusted, pf.url, "POST", API + "/password/forgot", {"email": new_email("x")},
                                 headers={"x-forwarded-for": "198.51.100.%d" % i})
        assert status == 202
    status, headers, doc = call_from(untrusted, pf.url, "POST", API + "/password/forgot", {"email": new_email("x")},
                                     headers={"x-forwarded-for": "198.51.100.250"})
    assert (status, doc["error"]["code"]) == (429, "too_many_attempts")
    for i in range(25):  # the proxy (127.0.0.1) speaks for 25 different clients
        status, _, _ = call_from("127.0.0.1", pf.url, "POST", API + "/password/forgot", {"email": new_email("x")},
                                 headers={"x-forwarded-for": "192.0.2.%d" % (i + 1)})
        assert status == 202, i


def test_log_injection_is_escaped(pf):
    """§8 item 52: what a client sends cannot start a line of its own in the
    logs or the audit detail."""
    email, password = new_email("inj"), pw()
    pf.create_account(email, password)
    text = "help\nINJECTED audit line\r\nINJECTED2"
    assert pf.post("/recovery-requests", {"email": email, "description": text}).status_code == 202
    pf.session().login(email, "Wr0ng!pass99x", extra_headers={"user-agent": "ua\tINJECTED3"})
    r = pf.admin().get(API + "/admin/recovery-requests", params={"status": "pending"})
    assert [x for x in r.json()["requests"] if x["email"] == email][0]["description"] == text  # kept as data
    for line in pf.logs().splitlines():
        assert not line.lstrip().startswith(("INJECTED", "\tINJECTED")), line
