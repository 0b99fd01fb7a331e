"""Issue 12 (BL-5): what the account spends.  GET /platform/v1/billing/summary
(month to date, projected and how, cap and remaining, by service),
GET /billing/usage?group_by=day|service|key|model (the charts' series) and
GET /usage/log.csv (the export).  Usage is made through the gateway; every
number must agree with the usage log to the micro, and another account sees
none of it."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from harness import Sim, chat, wait_for
from pfclient import API, DAY_MS, HOUR_MS, MINUTE_MS, Platform, err, fresh_ips, skip_unless_platform

skip_unless_platform()

UP = "upstream-pf-billing-key"
CHAT = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello there"}]}
IMAGE = {"model": "image-01", "prompt": "cat", "n": 2}


@pytest.fixture(scope="module")
def sim():
    s = Sim("global", keys=[UP], tls=False)
    yield s
    s.stop()


def platform(sim):
    return Platform(accounts={"signup_mode": "open", "reauth_minutes": "600"},
                    channels=[("sim", "global", sim.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP})


@pytest.fixture(scope="module")
def pf(sim):
    p = platform(sim)
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def own_ip(request):
    fresh_ips(request, "pf")


def key_of(pf, s, name):
    r = s.post(API + "/keys", {"name": name})
    assert r.status_code == 201, r.text
    pf.remember(r.json()["key"])
    return r.json()


def get(s, path, **params):
    r = s.get(API + path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def events(s):
    return get(s, "/usage/log", limit=200)["events"]


def micros(text):
    whole, frac = text.split(".")
    return int(whole) * 10 ** 6 + int(frac.ljust(6, "0"))


@pytest.fixture(scope="module")
def spent(pf):
    """Account A: two keys, chats a day apart and an image; account B: one chat."""
    email_a, pw_a, a = pf.user("ua")
    email_b, pw_b, b = pf.user("ub")
    k1, k2 = key_of(pf, a, "one"), key_of(pf, a, "two")
    kb = key_of(pf, b, "b")
    rids = [chat(pf.gw, k1["key"], body=CHAT).headers["x-request-id"],
            chat(pf.gw, k2["key"], body=CHAT).headers["x-request-id"]]
    n = len(rids)
    wait_for(lambda: len(events(a)) == n, what="A's first usage events")
    first_day = events(a)[0]["time"][:10]
    pf.advance(DAY_MS)  # the second batch on the next UTC day; the sessions' idle window is past
    a, b = pf.login(email_a, pw_a), pf.login(email_b, pw_b)
    rids += [chat(pf.gw, k1["key"], body=CHAT).headers["x-request-id"],
             chat(pf.gw, k1["key"], path="/v1/image_generation", body=IMAGE).headers["x-request-id"]]
    chat(pf.gw, kb["key"], body=CHAT)
    wait_for(lambda: len(events(a)) == len(rids), what="A's four usage events")
    wait_for(lambda: len(events(b)) == 1, what="B's usage event")
    return {"a": a, "b": b, "k1": k1["id"], "k2": k2["id"], "rids": rids, "first_day": first_day}


def in_period(s, evs):
    period = get(s, "/billing/summary")["period"]
    return [e for e in evs if period["start"] <= e["time"] < period["end"]]


def test_summary_matches_the_usage_log(spent):
    a = spent["a"]
    s = get(a, "/billing/summary")
    evs = in_period(a, events(a))
    assert evs, "the test's usage is in this period"
    assert s["month_to_date_micros"] == sum(e["cost_micros"] for e in evs) > 0
    assert micros(s["month_to_date"]) == s["month_to_date_micros"] and s["currency"] == "USD"
    assert sum(r["cost_micros"] for r in s["by_service"]) == s["month_to_date_micros"]
    assert {r["service"] for r in s["by_service"]} == {e["service"] for e in evs}
    image = next(r for r in s["by_service"] if r["service"] == "image")
    assert image["cost_micros"] == sum(e["cost_micros"] for e in evs if e["service"] == "image")
    assert image["requests"] == 1 and micros(image["cost"]) == image["cost_micros"]
    assert s["cap_micros"] is None and s["remaining_micros"] is None
    start = datetime.fromisoformat(s["period"]["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(s["period"]["end"].replace("Z", "+00:00"))
    assert start.day == 1 and start.hour == 0 and end.day == 1 and (end - start).days in (28, 29, 30, 31)


def test_usage_by_service_key_and_model(spent):
    a = spent["a"]
    evs = in_period(a, events(a))
    for group, field in (("service", "service"), ("key", "key"), ("model", "model")):
        u = get(a, "/billing/usage", group_by=group)
        assert u["group_by"] == group and u["truncated"] is False
        want = {}
        for e in evs:
            w = want.setdefault(e[field], [0, 0, 0, 0])
            w[0] += e["cost_micros"]
            w[1] += 1
            w[2] += e["units"]["input_tokens"]
            w[3] += e["units"]["output_tokens"]
        got = {r["key"]: [r["cost_micros"], r["requests"], r["input_tokens"], r["output_tokens"]] for r in u["rows"]}
        assert got == want, group
        costs = [r["cost_micros"] for r in u["rows"]]
        assert costs == sorted(costs, reverse=True)  # biggest first
        assert u["total_micros"] == sum(costs)
    keys = {r["key"] for r in get(a, "/billing/usage", group_by="key")["rows"]}
    assert keys <= {spent["k1"], spent["k2"]}


def test_usage_by_day_fills_every_day(spent):
    a = spent["a"]
    u = get(a, "/billing/usage", group_by="day")
    s = get(a, "/billing/summary")
    days = [r["key"] for r in u["rows"]]
    assert days[0] == s["period"]["start"][:10] and len(days) == (
        datetime.fromisoformat(s["period"]["end"][:10]) - datetime.fromisoformat(s["period"]["start"][:10])).days
    assert days == sorted(days) and len(set(days)) == len(days)
    by_day = {}
    for e in in_period(a, events(a)):
        by_day[e["time"][:10]] = by_day.get(e["time"][:10], 0) + e["cost_micros"]
    for r in u["rows"]:
        assert r["cost_micros"] == by_day.get(r["key"], 0), r["key"]
        assert (r["requests"] == 0) == (r["key"] not in by_day)
    assert u["from"] == s["period"]["start"] and u["to"] == s["period"]["end"]


def test_usage_over_an_explicit_range(spent):
    a = spent["a"]
    evs = events(a)
    first, last = min(e["time"] for e in evs), max(e["time"] for e in evs)
    end = (datetime.fromisoformat(first[:10]) + timedelta(days=45)).strftime("%Y-%m-%d")
    u = get(a, "/billing/usage", group_by="day", **{"from": first[:10] + "T00:00:00Z", "to": end + "T00:00:00Z"})
    assert u["rows"][0]["key"] == first[:10] and len(u["rows"]) == 45
    assert sum(r["cost_micros"] for r in u["rows"]) == sum(e["cost_micros"] for e in evs)
    assert last[:10] in {r["key"] for r in u["rows"] if r["requests"]}
    # a range holding nothing: zeros, not an error
    u = get(a, "/billing/usage", group_by="day", **{"from": "2001-01-01T00:00:00Z", "to": "2001-01-03T00:00:00Z"})
    assert [(r["key"], r["cost_micros"]) for r in u["rows"]] == [("2001-01-01", 0), ("2001-01-02", 0)]
    assert get(a, "/billing/usage", group_by="model", **{"from": "2001-01-01T00:00:00Z",
                                                          "to": "2001-01-03T00:00:00Z"})["rows"] == []


def test_another_account_sees_none_of_it(spent):
    b = spent["b"]
    s = get(b, "/billing/summary")
    assert [r["service"] for r in s["by_service"]] == ["chat"]
    only = events(b)[0]["cost_micros"]
    assert s["month_to_date_micros"] in (only, 0)  # 0 only if B's chat fell into the next month
    for group in ("key", "model", "service"):
        rows = get(b, "/billing/usage", group_by=group)["rows"]
        assert sum(r["requests"] for r in rows) <= 1
        assert spent["k1"] not in {r["key"] for r in rows} and spent["k2"] not in {r["key"] for r in rows}
    text = b.get(API + "/usage/log.csv").text
    assert not any(r in text for r in spent["rids"])


def test_csv_export(spent):
    a = spent["a"]
    r = a.get(API + "/usage/log.csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="maxgate-usage-')
    assert "\r\n" in r.text and not r.text.startswith("#")
    rows = list(csv.DictReader(io.StringIO(r.text, newline="")))
    log = events(a)
    assert [x["request_id"] for x in rows] == [e["request_id"] for e in log]  # newest first, the same order
    for x, e in zip(rows, log):
        assert int(x["cost_micros"]) == e["cost_micros"] and x["cost"] == e["cost"]
        assert x["time"] == e["time"] and x["key"] == e["key"] and x["model"] == e["model"]
        assert int(x["http_status"]) == e["http_status"] and int(x["input_tokens"]) == e["units"]["input_tokens"]
    # the same filters as the log
    one = list(csv.DictReader(io.StringIO(a.get(API + "/usage/log.csv", params={"key": spent["k2"]}).text)))
    assert [x["request_id"] for x in one] == [e["request_id"] for e in log if e["key"] == spent["k2"]]
    only = a.get(API + "/usage/log.csv", params={"request_id": spent["rids"][3]}).text
    assert only.count("\r\n") == 2 and "image-01" in only
    empty = a.get(API + "/usage/log.csv", params={"model": "nope"}).text
    assert empty.startswith("request_id,time,key,model,service,route,") and empty.count("\r\n") == 1
    r = a.get(API + "/usage/log.csv", params={"status": "teapot"})
    assert err(r) == (400, "field_invalid", "status")


def test_cap_and_remaining(pf, sim):
    email, _, s = pf.user("capped")
    k = key_of(pf, s, "c")
    pf.gw.admin("user", "set-cap", "--email", email, "--cap", "5.00")
    chat(pf.gw, k["key"], body=CHAT)
    wait_for(lambda: len(events(s)) == 1, what="the capped account's event")
    got = get(s, "/billing/summary")
    assert got["cap_micros"] == 5_000_000 and got["cap"] == "5.00"
    assert got["remaining_micros"] == 5_000_000 - got["month_to_date_micros"] and got["month_to_date_micros"] > 0


def test_needs_a_session(pf):
    for path in ("/billing/summary", "/billing/usage", "/usage/log.csv"):
        assert err(pf.call("GET", API + path))[0] == 401


@pytest.mark.parametrize("param,value", [
    ("group_by", "week"), ("group_by", "DAY"), ("from", "yesterday"), ("to", "2027-13-01T00:00:00Z"),
])
def test_bad_parameters_name_the_parameter(spent, param, value):
    r = spent["a"].get(API + "/billing/usage", params={param: value})
    assert err(r) == (400, "field_invalid", param), r.text
    assert r.json()["error"]["message"]


def test_ranges_refused(spent):
    a = spent["a"]
    r = a.get(API + "/billing/usage", params={"from": "2027-01-02T00:00:00Z", "to": "2027-01-01T00:00:00Z"})
    assert err(r) == (400, "field_invalid", "to")
    r = a.get(API + "/billing/usage", params={"from": "2026-01-01T00:00:00Z", "to": "2027-02-05T00:00:01Z"})
    assert err(r) == (400, "field_invalid", "to") and "400 days" in r.json()["error"]["message"]
    ok = a.get(API + "/billing/usage", params={"from": "2026-01-01T00:00:00Z", "to": "2027-02-05T00:00:00Z"})
    assert ok.status_code == 200 and len(ok.json()["rows"]) == 400


def test_projection_with_the_test_clock(sim):
    """Its own server: the clock goes to the next month."""
    p = platform(sim)
    try:
        email, password, s = p.user("proj")
        k = key_of(p, s, "p")
        p.post("/test/clock", {"freeze": True})
        chat(p.gw, k["key"], body=CHAT)
        wait_for(lambda: len(events(s)) == 1, what="the event")
        got = get(s, "/billing/summary")
        pj = got["projection"]
        mtd = got["month_to_date_micros"]
        if pj["elapsed_ms"] >= HOUR_MS:
            assert pj["method"] == "linear"
            want = (mtd * pj["period_ms"] + pj["elapsed_ms"] // 2) // pj["elapsed_ms"]
            assert got["projected_micros"] == want >= mtd
            assert pj["how"].startswith("month to date %s x " % got["month_to_date"])
            assert pj["how"].endswith(" days elapsed")
        # to 30 minutes into the next month: too early to project, projected is what was spent
        p.advance(pj["period_ms"] - pj["elapsed_ms"] + 30 * MINUTE_MS)
        s = p.login(email, password)
        chat(p.gw, k["key"], body=CHAT)
        wait_for(lambda: len(events(s)) == 2, what="the second event")
        nxt = get(s, "/billing/summary")
        assert nxt["period"]["start"] == got["period"]["end"]
        assert nxt["projection"]["method"] == "too_early" and nxt["projection"]["elapsed_ms"] == 30 * MINUTE_MS
        assert "not enough of the month yet" in nxt["projection"]["how"]
        assert nxt["projected_micros"] == nxt["month_to_date_micros"] == events(s)[0]["cost_micros"]
        # ten days and a half in: mtd x days / 10.5 days
        p.advance(10 * DAY_MS + 12 * HOUR_MS - 30 * MINUTE_MS)
        s = p.login(email, password)
        ten = get(s, "/billing/summary")
        days = ten["projection"]["period_ms"] // DAY_MS
        assert ten["projection"]["method"] == "linear"
        assert ten["projection"]["how"] == "month to date %s x %d.0 days / 10.5 days elapsed" % (
            ten["month_to_date"], days)
        m = ten["month_to_date_micros"]
        assert ten["projected_micros"] == (m * days * 2 + 10) // 21  # m x days / 10.5, half up
    finally:
        p.stop()


def test_days_are_utc(spent):
    first = spent["first_day"]
    datetime.strptime(first, "%Y-%m-%d").replace(tzinfo=timezone.utc)  # the log's own UTC date
    u = get(spent["a"], "/billing/usage", group_by="day",
            **{"from": first + "T00:00:00+08:00", "to": first + "T23:59:59-08:00"})
    # 16:00 UTC the day before to 07:59:59 UTC the day after: three UTC days
    assert len(u["rows"]) == 3 and u["rows"][1]["key"] == first
