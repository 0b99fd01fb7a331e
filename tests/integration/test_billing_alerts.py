"""Issue 12, BL-3/BL-4/AC-11 through the platform: the account's monthly cap
(raising or removing it needs step-up, lowering does not; the gateway holds
the new cap at once), spending alerts at percentages of the cap, fired by
the usage writer exactly once per threshold per period under concurrent
usage, by mail and in the console; caps and alerts only on the professional
and enterprise plans."""
import json
import threading

import pytest

from harness import WAIT_S, Sim, chat, wait_for
from pfclient import API, MINUTE_MS, Platform, err, fresh_ips, skip_unless_platform

skip_unless_platform()

UP = "upstream-billing-alerts"
BODY = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 2000}


@pytest.fixture(scope="module")
def sim():
    s = Sim("global", keys=[UP], tls=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pf(sim):
    p = Platform(accounts={"signup_mode": "open", "reauth_minutes": "10"},
                 channels=[("sim", "global", sim.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP},
                 server={"threads": "2"})
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def own_ip(request):
    fresh_ips(request, "pf")


def professional(pf, email):
    r = pf.admin().patch(API + "/admin/accounts/%d" % pf.account_id(email), {"plan": "professional"})
    assert r.status_code == 200, r.text


def new_key(pf, s):
    r = s.post(API + "/keys", {"name": "spend"})
    assert r.status_code == 201, r.text
    pf.remember(r.json()["key"])
    return r.json()["key"]


def alerts_of(s):
    r = s.get(API + "/notifications")
    assert r.status_code == 200, r.text
    return [n for n in r.json()["notifications"] if n["kind"] == "spend_alert"]


def spend(pf, key, n, tokens=1000):
    """n requests released together; each asks for `tokens` of output."""
    barrier = threading.Barrier(n)
    out = [None] * n

    def one(i):
        barrier.wait(timeout=60)
        out[i] = chat(pf.gw, key, body=BODY, headers={"x-sim-tokens": str(tokens)})
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    for r in out:
        if r.status_code == 200:
            pf.gw.wait_usage(r.headers["x-request-id"])
    return out


def test_free_plan_has_no_caps_or_alerts(pf):
    _, _, s = pf.user("free")
    for r in (s.request("PUT", API + "/billing/cap", {"cap_micros": 1000000}),
              s.post(API + "/billing/alerts", {"threshold_percent": 50, "channels": ["email"]}),
              s.post(API + "/keys", {"name": "k", "cap_micros": 1000000})):
        status, code, _ = err(r)
        assert (status, code) == (403, "plan_required"), r.text
        assert "professional plan" in r.json()["error"]["message"]
    # a key without a cap, and reading the cap, are fine
    assert s.get(API + "/billing/cap").json()["cap_micros"] is None
    assert s.post(API + "/keys", {"name": "k", "rpm": 5}).status_code == 201


def test_cap_step_up_to_raise_and_the_gateway_sees_it_at_once(pf):
    email, password, s = pf.user("cap")
    professional(pf, email)
    key = new_key(pf, s)
    r = s.request("PUT", API + "/billing/cap", {"cap_micros": 1})  # setting a first cap lowers: no step-up
    assert r.status_code == 200 and r.json()["cap_micros"] == 1 and r.json()["cap"] == "0.000001", r.text
    assert chat(pf.gw, key, body=BODY).status_code == 429  # the next request sees the cap
    pf.advance(11 * MINUTE_MS)  # past reauth_minutes
    s = pf.login(email, password)
    pf.advance(11 * MINUTE_MS)
    assert err(s.request("PUT", API + "/billing/cap", {"cap_micros": 10 ** 9}))[:2] == (403, "reauth_required")
    assert err(s.request("PUT", API + "/billing/cap", {"cap_micros": None}))[:2] == (403, "reauth_required")
    assert s.post(API + "/me/reauth", {"password": password}).status_code in (200, 204)
    r = s.request("PUT", API + "/billing/cap", {"cap_micros": 10 ** 9})
    assert r.status_code == 200 and r.json()["remaining_micros"] <= 10 ** 9
    assert chat(pf.gw, key, body=BODY).status_code == 200
    pf.advance(11 * MINUTE_MS)
    assert s.request("PUT", API + "/billing/cap", {"cap_micros": 5 * 10 ** 8}).status_code == 200  # lowering
    assert err(s.request("PUT", API + "/billing/cap", {}))[:3] == (400, "field_missing", "cap_micros")
    types = [e["type"] for e in pf.audit(account=pf.account_id(email))]
    assert types.count("billing.cap_changed") == 3


def test_alerts_need_a_cap_and_are_validated(pf):
    email, _, s = pf.user("alertv")
    professional(pf, email)
    status, code, _ = err(s.post(API + "/billing/alerts", {"threshold_percent": 50, "channels": ["email"]}))
    assert (status, code) == (409, "conflict")
    assert s.request("PUT", API + "/billing/cap", {"cap_micros": 10 ** 6}).status_code == 200
    for body, field in (({"threshold_percent": 0, "channels": ["email"]}, "threshold_percent"),
                        ({"threshold_percent": 50, "channels": ["sms"]}, "channels"),
                        ({"threshold_percent": 50, "channels": []}, "channels"),
                        ({"threshold_percent": 50, "channels": ["email"], "service": "fax"}, "service")):
        assert err(s.post(API + "/billing/alerts", body))[::2] == (400, field), body
    r = s.post(API + "/billing/alerts", {"threshold_percent": 50, "channels": ["email"]})
    assert r.status_code == 201 and r.json()["service"] == "all" and r.json()["fired_this_period"] is False
    assert err(s.post(API + "/billing/alerts", {"threshold_percent": 50, "channels": ["in_app"]}))[0] == 409
    aid = r.json()["id"]
    _, _, other = pf.user("alertv-other")
    assert err(other.delete(API + "/billing/alerts/%d" % aid))[0] == 404  # not theirs
    assert s.delete(API + "/billing/alerts/%d" % aid).status_code == 204
    assert s.get(API + "/billing/alerts").json()["alerts"] == []


def test_each_threshold_fires_once_per_period_under_concurrent_usage(pf):
    email, password, s = pf.user("alerts")
    professional(pf, email)
    key = new_key(pf, s)
    assert s.request("PUT", API + "/billing/cap", {"cap_micros": 50000}).status_code == 200  # 0.05
    for pct, ch, svc in ((50, ["email", "in_app"], "all"), (80, ["email", "in_app"], "all"),
                         (50, ["in_app"], "chat"), (90, ["in_app"], "speech")):
        r = s.post(API + "/billing/alerts", {"threshold_percent": pct, "channels": ch, "service": svc})
        assert r.status_code == 201, r.text
    # ~1,250 micros a request (a worst case of ~2,500 held): 60 together, the cap refuses what does not fit
    out = spend(pf, key, 60)
    assert any(r.status_code == 200 for r in out) and any(r.status_code == 429 for r in out)
    # how far the burst got depends on how fast it ran: then one by one past 80 %, below the cap
    while s.get(API + "/billing/cap").json()["spent_micros"] < 41000:
        r = chat(pf.gw, key, body=BODY, headers={"x-sim-tokens": "1000"})
        assert r.status_code == 200, r.text
        pf.gw.wait_usage(r.headers["x-request-id"])
    wait_for(lambda: len(alerts_of(s)) == 3, WAIT_S, "the three reached alerts in the console")
    wait_for(lambda: len(pf.mailbox.mails(email)) >= 2, WAIT_S, "the two alert mails")
    spend(pf, key, 5)  # more usage (refused or not): nothing fires twice
    texts = sorted(n["text"] for n in alerts_of(s))
    assert len(texts) == 3, texts
    assert sum("reached 50 %" in t and "on chat" not in t for t in texts) == 1
    assert sum("reached 80 %" in t for t in texts) == 1
    assert sum("on chat" in t for t in texts) == 1
    mails = [m for m in pf.mailbox.mails(email) if "spending alert" in str(m["msg"]).lower()]
    assert len(mails) == 2, mails
    fired = {(a["service"], a["threshold_percent"]): a["fired_this_period"] for a in s.get(API + "/billing/alerts").json()["alerts"]}
    assert fired == {("all", 50): True, ("all", 80): True, ("chat", 50): True, ("speech", 90): False}
    # the next period: the alerts are armed again; one by one up to just past 50 %: the two 50 % ones fire
    pf.advance(32 * 24 * 60 * MINUTE_MS)
    s = pf.login(email, password)
    assert s.get(API + "/billing/cap").json()["spent_micros"] == 0
    while s.get(API + "/billing/cap").json()["spent_micros"] < 25000:
        r = chat(pf.gw, key, body=BODY, headers={"x-sim-tokens": "1000"})
        assert r.status_code == 200, r.text
        pf.gw.wait_usage(r.headers["x-request-id"])
    wait_for(lambda: len(alerts_of(s)) == 5, WAIT_S, "the new period's two alerts")
    assert s.get(API + "/billing/cap").json()["spent_micros"] < 40000  # 80 % not reached: it stays quiet
    assert len(alerts_of(s)) == 5
