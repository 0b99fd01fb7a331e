"""AC-9 and the admin endpoints: recovery requests (202 always; the admin
sees them with the account's recent activity; approve mails a reset link;
deny), account search and detail, suspend (the account's API key stops at
the gateway on the next request) / unsuspend, end sessions, plan and role;
a non-admin gets 403 forbidden on every admin endpoint."""
import pytest

from harness import Sim, chat
from pfclient import API, Platform, err, new_email, pw, skip_unless_platform, fresh_ips

skip_unless_platform()

UP = "upstream-pf-admin-key"


@pytest.fixture(scope="module")
def sim():
    s = Sim("global", keys=[UP], tls=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pf(sim):
    p = Platform(accounts={"signup_mode": "open"}, channels=[("sim", "global", sim.url, "UP_GLOBAL", 1)],
                 env={"UP_GLOBAL": UP})
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def own_ip(request):
    """Each test its own client address: the per-IP hourly limits of the public endpoints start empty."""
    fresh_ips(request, "pf")


def account(pf):
    email, password = new_email("ad"), pw()
    pf.create_account(email, password)
    return email, password, pf.account_id(email)


def recovery_requests(pf, status="pending"):
    r = pf.admin().get(API + "/admin/recovery-requests", params={"status": status})
    assert r.status_code == 200, r.text
    return r.json()["requests"]


def test_recovery_request_always_202(pf):
    email, _, _ = account(pf)
    a = pf.post("/recovery-requests", {"email": email, "description": "lost my phone and password"})
    b = pf.post("/recovery-requests", {"email": new_email("nobody"), "description": "lost everything"})
    for r in (a, b):
        assert r.status_code == 202 and r.json() == {"status": "received"}
    assert a.content == b.content and "set-cookie" not in a.headers


def test_admin_sees_recovery_with_activity_and_approves(pf):
    email, password, aid = account(pf)
    pf.login(email, password)
    assert pf.post("/recovery-requests", {"email": email, "description": "new phone"}).status_code == 202
    (req,) = [x for x in recovery_requests(pf) if x["email"] == email]
    assert req["account_id"] == aid and req["description"] == "new phone" and req["status"] == "pending"
    assert "login.success" in {e["type"] for e in req["recent_activity"]}
    assert all(e["account_id"] == aid for e in req["recent_activity"])
    r = pf.admin().post(API + "/admin/recovery-requests/%d/approve" % req["id"])
    assert r.status_code == 204, r.text
    token = pf.wait_link(email, "reset")
    pf.advance(60 * 60 * 1000)  # the recovery link lives 24 h (docs/api.md), not 15 min
    new = pw()
    pf.remember(new)
    assert pf.post("/password/reset", {"token": token, "new_password": new}).status_code == 204
    pf.login(email, new)
    assert [x for x in recovery_requests(pf, "approved") if x["id"] == req["id"] and x["decided_at"]]
    types = {e["type"] for e in pf.audit(account=aid)}
    assert {"recovery.requested", "recovery.approved"} <= types


def test_recovery_unknown_email_and_deny(pf):
    ghost = new_email("ghost")
    assert pf.post("/recovery-requests", {"email": ghost, "description": "?"}).status_code == 202
    (req,) = [x for x in recovery_requests(pf) if x["email"] == ghost]
    assert req["account_id"] is None
    email, password, aid = account(pf)
    assert pf.post("/recovery-requests", {"email": email, "description": "please"}).status_code == 202
    (req,) = [x for x in recovery_requests(pf) if x["email"] == email]
    assert pf.admin().post(API + "/admin/recovery-requests/%d/deny" % req["id"]).status_code == 204
    assert [x for x in recovery_requests(pf, "denied") if x["id"] == req["id"]]
    assert not pf.link_mails(email, "reset")
    pf.login(email, password)
    assert "recovery.denied" in {e["type"] for e in pf.audit(account=aid)}


def test_search_and_detail(pf):
    email, password, aid = account(pf)
    pf.login(email, password)
    r = pf.admin().get(API + "/admin/accounts", params={"q": email.split("@")[0]})
    assert r.status_code == 200
    (acc,) = [a for a in r.json()["accounts"] if a["id"] == aid]
    assert acc["email"] == email and acc["status"] == "active" and acc["role"] == "user" and acc["locked"] is False
    assert acc["last_login_at"] is not None and acc["plan"] in ("free", "professional", "enterprise")
    d = pf.admin().get(API + "/admin/accounts/%d" % aid).json()
    assert d["sessions"] == 1 and d["failed_logins"] == 0 and d["locked_until"] is None
    assert "login.success" in {e["type"] for e in d["recent_activity"]}
    assert err(pf.admin().get(API + "/admin/accounts/99999999"))[:2] == (404, "resource_not_found")
    # paging: limit 1 walks every account once
    seen, cursor = [], None
    for _ in range(1000):
        r = pf.admin().get(API + "/admin/accounts", params=dict(limit=1, **({"cursor": cursor} if cursor else {})))
        doc = r.json()
        assert len(doc["accounts"]) <= 1
        seen += [a["id"] for a in doc["accounts"]]
        cursor = doc["next_cursor"]
        if not cursor:
            break
    assert aid in seen and len(seen) == len(set(seen))


def test_suspend_and_unsuspend(pf):
    email, password, aid = account(pf)
    key = pf.gw.create_key(email)
    pf.remember(key)
    assert chat(pf.gw, key).status_code == 200
    s = pf.login(email, password)
    assert pf.admin().post(API + "/admin/accounts/%d/suspend" % aid).status_code == 204
    assert pf.gw.wait_key_state(key, lambda e: e is not None, timeout=5) == "ACCOUNT_SUSPENDED"
    assert chat(pf.gw, key).status_code != 200
    assert not s.ok()
    assert err(pf.session().login(email, password))[:2] == (403, "account_suspended")
    assert err(pf.session().login(email, "Wr0ng!pass99x"))[:2] == (401, "login_failed")
    acc = pf.admin().get(API + "/admin/accounts/%d" % aid).json()
    assert acc["status"] == "suspended"
    assert err(pf.admin().post(API + "/admin/accounts/%d/suspend" % pf.admin().me().json()["id"]))[:2] == \
        (409, "conflict")  # not yourself
    assert pf.admin().post(API + "/admin/accounts/%d/unsuspend" % aid).status_code == 204
    assert pf.gw.wait_key_state(key, lambda e: e is None) is None
    assert chat(pf.gw, key).status_code == 200
    pf.login(email, password)
    types = {e["type"] for e in pf.audit(account=aid)}
    assert {"account.suspended", "account.unsuspended"} <= types


def test_suspended_login(pf):
    """docs/api.md: 401 login_failed for every failure; 403 account_suspended
    only after the right password (PLATFORM-API.md said one answer for
    every reason: a documented change)."""
    email, password, aid = account(pf)
    assert pf.admin().post(API + "/admin/accounts/%d/suspend" % aid).status_code == 204
    assert err(pf.session().login(email, password))[:2] == (403, "account_suspended")
    assert err(pf.session().login(email, "Wr0ng!pass99x"))[:2] == (401, "login_failed")


def test_suspend_stops_the_key_on_the_next_request(pf):
    """Issue 9 "Admin": suspend/unsuspend (its keys stop working at the gateway on the next request)."""
    email, password, aid = account(pf)
    key = pf.gw.create_key(email)
    assert chat(pf.gw, key).status_code == 200
    assert pf.admin().post(API + "/admin/accounts/%d/suspend" % aid).status_code == 204
    r = chat(pf.gw, key)
    assert r.status_code != 200, "the key of a suspended account still works on the next request"


def test_end_sessions(pf):
    email, password, aid = account(pf)
    a, b = pf.login(email, password), pf.login(email, password, bearer=True)
    assert pf.admin().post(API + "/admin/accounts/%d/end-sessions" % aid).status_code == 204
    assert not a.ok() and not b.ok()
    assert pf.admin().get(API + "/admin/accounts/%d" % aid).json()["sessions"] == 0
    pf.login(email, password)
    assert "account.sessions_ended" in {e["type"] for e in pf.audit(account=aid)}


def test_change_plan_and_role(pf):
    email, password, aid = account(pf)
    s = pf.login(email, password, bearer=True)
    r = pf.admin().patch(API + "/admin/accounts/%d" % aid, {"plan": "professional"})
    assert r.status_code == 200, r.text
    assert r.json()["plan"] == "professional" and r.json()["id"] == aid
    assert s.me().json()["plan"] == "professional"
    assert err(s.get(API + "/admin/accounts"))[:2] == (403, "forbidden")
    r = pf.admin().patch(API + "/admin/accounts/%d" % aid, {"role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    assert s.get(API + "/admin/accounts").status_code == 200
    r = pf.admin().patch(API + "/admin/accounts/%d" % aid, {"role": "user"})
    assert r.status_code == 200 and r.json()["role"] == "user"
    assert err(s.get(API + "/admin/accounts"))[:2] == (403, "forbidden")
    assert err(pf.admin().patch(API + "/admin/accounts/%d" % aid, {"plan": "platinum"})) == (400, "field_invalid",
                                                                                            "plan")
    assert err(pf.admin().patch(API + "/admin/accounts/%d" % aid, {"role": "root"})) == (400, "field_invalid", "role")
    assert "account.updated" in {e["type"] for e in pf.audit(account=aid)}
    me = pf.admin().me().json()["id"]
    assert err(pf.admin().patch(API + "/admin/accounts/%d" % me, {"role": "user"}))[:2] == (409, "conflict")
    assert pf.admin().me().json()["role"] == "admin"


ADMIN_ENDPOINTS = [
    ("GET", "/admin/accounts", None), ("GET", "/admin/accounts/%(id)d", None),
    ("POST", "/admin/accounts/%(id)d/suspend", None), ("POST", "/admin/accounts/%(id)d/unsuspend", None),
    ("POST", "/admin/accounts/%(id)d/unlock", None), ("POST", "/admin/accounts/%(id)d/end-sessions", None),
    ("PATCH", "/admin/accounts/%(id)d", {"role": "admin"}), ("GET", "/admin/access-requests", None),
    ("POST", "/admin/access-requests/1/approve", None), ("POST", "/admin/access-requests/1/deny", None),
    ("GET", "/admin/recovery-requests", None), ("POST", "/admin/recovery-requests/1/approve", None),
    ("POST", "/admin/recovery-requests/1/deny", None), ("GET", "/admin/audit", None),
]


@pytest.mark.parametrize("bearer", [False, True])
def test_non_admin_is_forbidden_everywhere(pf, bearer):
    email, password, aid = account(pf)
    s = pf.login(email, password, bearer=bearer)
    victim = pf.admin().get(API + "/me").json()["id"]
    for method, path, body in ADMIN_ENDPOINTS:
        r = s.request(method, API + path % {"id": victim}, body)
        assert err(r)[:2] == (403, "forbidden"), (method, path, r.status_code, r.text)
        r = s.request(method, API + path % {"id": aid}, body)
        assert err(r)[:2] == (403, "forbidden"), (method, path, r.status_code, r.text)
    assert s.me().json()["role"] == "user"
    assert pf.admin().ok()
    # no session at all: 401, not 403
    for method, path, body in ADMIN_ENDPOINTS:
        r = pf.call(method, API + path % {"id": victim}, body)
        assert err(r)[:2] == (401, "session_required"), (method, path, r.text)


def test_decisions_happen_once(pf):
    ghost = new_email("ghost")
    assert pf.post("/recovery-requests", {"email": ghost, "description": "x"}).status_code == 202
    (req,) = [x for x in recovery_requests(pf) if x["email"] == ghost]
    # nothing to recover: no account behind the address
    assert err(pf.admin().post(API + "/admin/recovery-requests/%d/approve" % req["id"]))[:2] == (409, "conflict")
    email, _, _ = account(pf)
    assert pf.post("/recovery-requests", {"email": email, "description": "y"}).status_code == 202
    (req,) = [x for x in recovery_requests(pf) if x["email"] == email]
    assert pf.admin().post(API + "/admin/recovery-requests/%d/approve" % req["id"]).status_code == 204
    for verb in ("approve", "deny"):
        r = pf.admin().post(API + "/admin/recovery-requests/%d/%s" % (req["id"], verb))
        assert err(r)[:2] == (409, "conflict"), verb
    assert err(pf.admin().post(API + "/admin/recovery-requests/99999999/approve"))[:2] == (404, "resource_not_found")
    assert err(pf.admin().get(API + "/admin/recovery-requests", params={"status": "bogus"}))[:2] == \
        (400, "field_invalid")


def test_not_found_message_names_what_was_not_found(pf):
    for r, what in ((pf.admin().get(API + "/admin/accounts/99999999"), "No such account."),
                    (pf.admin().delete(API + "/me/sessions/99999999"), "No such session.")):
        assert r.json()["error"]["message"].endswith(what), r.json()["error"]["message"]


def test_login_storm_does_not_starve_the_gateway(pf):
    """Issue 9 "Work queues": Argon2id runs on its own workers; a storm of
    logins (8 clients, unknown emails: each a dummy verify) leaves gateway
    requests answering 200, and the platform answers 401 or 503, never hangs."""
    import threading
    email, _, _ = account(pf)
    key = pf.gw.create_key(email)
    stop, codes = threading.Event(), []

    def storm():
        while not stop.is_set():
            codes.append(pf.post("/login", {"email": new_email("storm"), "password": "Wr0ng!pass99x"}).status_code)

    threads = [threading.Thread(target=storm) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        statuses = [chat(pf.gw, key).status_code for _ in range(15)]
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert statuses == [200] * 15
    assert codes and set(codes) <= {401, 503}, set(codes)
