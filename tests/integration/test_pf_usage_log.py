"""Issue 12 (first part): GET /platform/v1/usage/log — the signed-in
account's billed requests newest first, as the usage writer recorded them:
every filter, paging to the end with the opaque cursor, one account never
sees another's (an unknown request id is an empty page, not an error), and
each bad parameter is a 400 naming it."""
import pytest

from harness import Sim, chat, wait_for
from pfclient import API, HOUR_MS, Platform, err, fresh_ips, skip_unless_platform

skip_unless_platform()

UP = "upstream-pf-usage-key"
CHAT = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello there"}]}
IMAGE = {"model": "image-01", "prompt": "cat", "n": 3}


@pytest.fixture(scope="module")
def sim():
    s = Sim("global", keys=[UP], tls=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pf(sim):
    p = Platform(accounts={"signup_mode": "open", "reauth_minutes": "600"},
                 channels=[("sim", "global", sim.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP})
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


def log(s, **params):
    r = s.get(API + "/usage/log", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def ids(page):
    return [e["request_id"] for e in page["events"]]


def rid(r):
    return r.headers["x-request-id"]


@pytest.fixture(scope="module")
def history(pf):
    """Account A: two keys, an hour apart two batches (chat 200s, an image,
    a stream the upstream drops = 502); account B: one chat.  Waits until
    the writer has every event."""
    _, _, a = pf.user("ua")
    _, _, b = pf.user("ub")
    k1, k2 = key_of(pf, a, "one"), key_of(pf, a, "two")
    kb = key_of(pf, b, "b")
    early = [rid(chat(pf.gw, k1["key"], body=CHAT)), rid(chat(pf.gw, k2["key"], body=CHAT))]
    pf.advance(HOUR_MS)
    late = [rid(chat(pf.gw, k1["key"], body=CHAT)),
            rid(chat(pf.gw, k1["key"], path="/v1/image_generation", body=IMAGE))]
    r = chat(pf.gw, k2["key"], body=CHAT, stream=True, headers={"x-sim-tokens": "8", "x-sim-fault": "drop"})
    r.content  # read to the end: the gateway records the event when the stream ends
    late.append(rid(r))
    other = rid(chat(pf.gw, kb["key"], body=CHAT))
    everything = early + late
    wait_for(lambda: len(log(a)["events"]) == len(everything), what="A's five usage events")
    wait_for(lambda: len(log(b)["events"]) == 1, what="B's usage event")
    return {"a": a, "b": b, "k1": k1["id"], "k2": k2["id"], "kb": kb["id"], "early": early, "late": late,
            "other": other}


def test_newest_first_with_every_field(history):
    page = log(history["a"])
    assert page["next_cursor"] is None
    assert set(ids(page)) == set(history["early"] + history["late"])
    times = [e["time"] for e in page["events"]]
    assert times == sorted(times, reverse=True)
    assert set(ids(page)[:3]) == set(history["late"])  # the later hour first
    image = next(e for e in page["events"] if e["model"] == "image-01")
    assert image["service"] == "image" and image["route"] == "/v1/image_generation" and image["key"] == history["k1"]
    assert image["units"]["images"] == 3 and image["http_status"] == 200 and image["estimated"] is False
    assert image["cost_micros"] > 0
    chat_ev = next(e for e in page["events"] if e["request_id"] == history["early"][0])
    assert chat_ev["units"]["input_tokens"] >= 1 and chat_ev["units"]["output_tokens"] >= 1
    assert set(chat_ev["units"]) == {"input_tokens", "output_tokens", "cached_tokens", "characters", "images",
                                     "videos", "tracks", "voices"}
    assert chat_ev["time"].endswith("Z") and chat_ev["key"] == history["k1"]


def test_cost_is_formatted_from_micros(history):
    for e in log(history["a"])["events"]:
        whole, frac = e["cost"].split(".")
        assert 2 <= len(frac) <= 6
        assert int(whole) * 10 ** 6 + int(frac.ljust(6, "0")) == e["cost_micros"]


def test_filters(history):
    a = history["a"]
    assert ids(log(a, request_id=history["early"][1])) == [history["early"][1]]
    assert set(ids(log(a, key=history["k2"]))) == {history["early"][1], history["late"][2]}
    assert ids(log(a, model="image-01")) == [history["late"][1]]
    assert ids(log(a, service="image")) == [history["late"][1]]
    assert log(a, service="speech")["events"] == [] and log(a, model="nope")["events"] == []
    assert ids(log(a, status="error")) == [history["late"][2]]
    assert ids(log(a, status="502")) == [history["late"][2]]
    assert set(ids(log(a, status="ok"))) == set(history["early"] + history["late"][:2])
    assert log(a, status="404")["events"] == []
    assert set(ids(log(a, status="ok", key=history["k1"]))) == {history["early"][0], history["late"][0],
                                                                history["late"][1]}
    # the hour between the batches: from is inclusive, to exclusive
    first_late = min(e["time"] for e in log(a)["events"] if e["request_id"] in history["late"])
    assert set(ids(log(a, **{"from": first_late}))) == set(history["late"])
    assert set(ids(log(a, to=first_late))) == set(history["early"])
    assert log(a, **{"from": "2001-01-01T00:00:00Z", "to": "2001-01-02T00:00:00+08:00"})["events"] == []


def test_pages_to_the_end(history):
    a = history["a"]
    whole = ids(log(a))
    got, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = log(a, **params)
        pages += 1
        assert len(page["events"]) <= 2
        got += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert got == whole and pages == 3
    # a cursor keeps its filters' meaning: paging one key's events
    first = log(a, key=history["k1"], limit=1)
    rest = log(a, key=history["k1"], cursor=first["next_cursor"])
    assert ids(first) + ids(rest) == ids(log(a, key=history["k1"])) and rest["next_cursor"] is None


def test_an_account_sees_only_its_own(history):
    a, b = history["a"], history["b"]
    assert ids(log(b)) == [history["other"]]
    for r in history["early"] + history["late"]:
        assert log(b, request_id=r) == {"events": [], "next_cursor": None}
    assert log(a, request_id=history["other"])["events"] == []
    assert log(b, key=history["k1"])["events"] == []


def test_needs_a_session(pf):
    assert err(pf.call("GET", API + "/usage/log"))[0] == 401


@pytest.mark.parametrize("param,value", [
    ("limit", "0"), ("limit", "201"), ("limit", "ten"), ("cursor", "!!!"), ("cursor", "bm9jb2xvbg"),
    ("status", "teapot"), ("status", "42"), ("from", "yesterday"), ("to", "2027-13-01T00:00:00Z"),
    ("service", "nope"), ("key", "k" * 13), ("request_id", "r" * 40), ("model", "m" * 96),
])
def test_bad_parameters_name_the_parameter(pf, history, param, value):
    r = history["a"].get(API + "/usage/log", params={param: value})
    assert err(r) == (400, "field_invalid", param), r.text
    assert r.json()["error"]["message"]


def test_to_before_from_is_refused(history):
    r = history["a"].get(API + "/usage/log", params={"from": "2027-01-02T00:00:00Z", "to": "2027-01-01T00:00:00Z"})
    assert err(r) == (400, "field_invalid", "to")


def test_limit_at_the_ceiling_is_served(history):
    page = log(history["a"], limit=200)
    assert len(page["events"]) == 5 and page["next_cursor"] is None
