"""Issue 11, GW-9 and the per-key cap: a key's RPM and TPM, counted in
memory per node without a lock, answered 429 with the real Retry-After and
MiniMax code 1002 in each family's shape; TPM holds a request's worst case
up front and keeps only what the upstream reported (also for streams); a
key's own monthly cap beside its account's; limits edited in the console
API apply on the next request; last-used written from the usage writer at
most once a minute."""
import json
import re
import threading

import pytest
import requests

from harness import WAIT_S, Sim, chat, wait_for
from pfclient import API, MINUTE_MS, Platform, err, fresh_ips, skip_unless_platform

skip_unless_platform()

UP = "upstream-key-limits"


@pytest.fixture(scope="module")
def sim():
    s = Sim("global", keys=[UP], tls=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pf(sim):
    p = Platform(accounts={"signup_mode": "open", "reauth_minutes": "600"},
                 channels=[("sim", "global", sim.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP},
                 server={"threads": "2"})
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def own_ip(request):
    fresh_ips(request, "pf")


@pytest.fixture
def frozen(pf):
    """The server's clock fixed where it is: "N in the window" is exact however slow the machine."""
    r = pf.post("/test/clock", {"freeze": True})
    assert r.status_code == 204, r.text
    yield
    assert pf.post("/test/clock", {"freeze": False}).status_code == 204


def new_key(pf, s, **body):
    body.setdefault("name", "limited")
    r = s.post(API + "/keys", body)
    assert r.status_code == 201, r.text
    pf.remember(r.json()["key"])
    return r.json()


def together(n, fn):
    """n calls of fn(i) released at once by a barrier, from n threads."""
    barrier = threading.Barrier(n)
    out = [None] * n

    def one(i):
        barrier.wait(timeout=60)
        out[i] = fn(i)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert all(r is not None for r in out)
    return out


def inflight(pf):
    text = requests.get(pf.url + "/metrics", timeout=10).text
    return int(re.search(r"^maxgate_inflight_requests (\d+)$", text, re.M).group(1))


def test_rpm_admits_exactly_the_limit_across_loop_threads(pf, frozen):
    _, _, s = pf.user("rpm")
    key = new_key(pf, s, rpm=10)
    assert key["limits"] == {"rpm": 10, "tpm": None, "cap_micros": None}
    out = together(100, lambda i: chat(pf.gw, key["key"]))
    codes = [r.status_code for r in out]
    assert codes.count(200) == 10 and codes.count(429) == 90, codes
    for r in out:
        if r.status_code == 429:
            e = r.json()["error"]
            assert e["type"] == "rate_limit_error" and "10 requests a minute" in e["message"], e
            assert r.headers["retry-after"] == "6"  # 10 a minute: the next slot frees in 6 s of the fixed clock
            assert "x-should-retry" not in r.headers  # a short wait: SDKs may retry after it
    # each family's shape carries MiniMax's 1002
    native = chat(pf.gw, key["key"], path="/v1/text/chatcompletion_v2")
    assert native.status_code == 429 and native.json()["base_resp"]["status_code"] == 1002
    anth = chat(pf.gw, key["key"], path="/anthropic/v1/messages",
                body={"model": "MiniMax-M2.7", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]})
    assert anth.status_code == 429 and anth.json()["type"] == "error"
    assert anth.json()["error"]["type"] == "rate_limit_error"
    # the real wait: at 5.999 s still refused (1 s), at 6 s one more passes, and only one
    pf.advance(5999)
    r = chat(pf.gw, key["key"])
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    pf.advance(1)
    assert [chat(pf.gw, key["key"]).status_code for _ in range(2)] == [200, 429]
    # another key of the same account has its own budget
    other = new_key(pf, s, name="free")
    assert chat(pf.gw, other["key"]).status_code == 200


def test_editing_a_limit_applies_on_the_next_request(pf, frozen):
    _, _, s = pf.user("rpmedit")
    key = new_key(pf, s)
    assert key["limits"] == {"rpm": None, "tpm": None, "cap_micros": None}
    assert [chat(pf.gw, key["key"]).status_code for _ in range(3)] == [200] * 3
    r = s.patch(API + "/keys/" + key["id"], {"rpm": 1})
    assert r.status_code == 200 and r.json()["limits"]["rpm"] == 1, r.text
    assert [chat(pf.gw, key["key"]).status_code for _ in range(2)] == [200, 429]
    r = s.patch(API + "/keys/" + key["id"], {"rpm": None})  # null: no limit again
    assert r.status_code == 200 and r.json()["limits"]["rpm"] is None
    assert chat(pf.gw, key["key"]).status_code == 200
    # bad limits are refused naming the field
    for body, field in (({"rpm": 0}, "rpm"), ({"tpm": "many"}, "tpm"), ({"cap_micros": -5}, "cap_micros"),
                        ({"rpm": 10 ** 10}, "rpm")):
        status, code, f = err(s.patch(API + "/keys/" + key["id"], body))
        assert (status, code, f) == (400, "field_invalid", field), (body, status, code, f)


def stream_usage(r):
    """The usage of the final frame of an OpenAI-style stream."""
    usage = None
    for line in r.iter_lines():
        if line.startswith(b"data: {"):
            doc = json.loads(line[6:])
            usage = doc.get("usage") or usage
    return usage


def test_tpm_holds_the_worst_case_and_keeps_what_streams_used(pf):
    _, _, s = pf.user("tpm")
    body = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 2000}
    worst = len(json.dumps(dict(body, stream=True))) + 2000
    key = new_key(pf, s, tpm=3000)
    assert worst * 2 > 3000 > worst
    # streamed one after the other: each keeps only what it used, so the second fits too
    for _ in range(2):
        r = chat(pf.gw, key["key"], body=body, stream=True)
        assert r.status_code == 200
        assert stream_usage(r)["completion_tokens"] > 0
    # one in flight (the simulator holds its first byte) holds its worst case: a second is refused meanwhile
    held = {}

    def slow():
        held["r"] = chat(pf.gw, key["key"], body=body, stream=True, headers={"x-sim-fault": "slow:3000"})
        held["usage"] = stream_usage(held["r"])
    t = threading.Thread(target=slow)
    t.start()
    wait_for(lambda: inflight(pf) >= 1, WAIT_S, "the slow stream admitted")
    r = chat(pf.gw, key["key"], body=body, stream=True)
    t.join(60)
    assert r.status_code == 429, r.text
    assert "3000 tokens a minute" in r.json()["error"]["message"] and int(r.headers["retry-after"]) >= 1
    assert held["r"].status_code == 200 and held["usage"]["completion_tokens"] > 0
    # and after it ended, what it did not use came back
    assert chat(pf.gw, key["key"], body=body, stream=True).status_code == 200
    # a worst case above the whole limit (here no max_tokens: the model's maximum) holds the whole minute:
    # it waits for what the last request used to come back, then passes and keeps only what it used
    big = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello"}]}
    r = chat(pf.gw, key["key"], body=big)
    assert r.status_code == 429 and "at most the minute's" in r.json()["error"]["message"], r.text
    pf.advance(int(r.headers["retry-after"]) * 1000)
    assert chat(pf.gw, key["key"], body=big).status_code == 200
    assert chat(pf.gw, key["key"], body=body).status_code == 200  # it kept only what it used


def test_a_keys_own_cap_beside_the_accounts(pf):
    email, _, s = pf.user("keycap")
    # a key's cap is a cap: the professional plan's (test_billing_alerts.py has the free plan's refusal)
    r = pf.admin().patch(API + "/admin/accounts/%d" % pf.account_id(email), {"plan": "professional"})
    assert r.status_code == 200, r.text
    # MiniMax-M2.7's worst case with max_tokens 2000 is ~2,500 micros; a cap of 0.01 holds a few
    body = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 2000}
    capped = new_key(pf, s, name="capped", cap_micros=10000)
    free = new_key(pf, s, name="free")
    codes = [chat(pf.gw, capped["key"], body=body, headers={"x-sim-tokens": "2000"}).status_code for _ in range(8)]
    assert 200 in codes and codes[-1] == 429, codes
    r = chat(pf.gw, capped["key"], body=body)
    assert r.status_code == 429 and "key's cap of 0.01" in r.json()["error"]["message"], r.text
    assert r.headers["x-should-retry"] == "false"
    assert chat(pf.gw, free["key"], body=body).status_code == 200  # the account is not capped
    # raising the key's cap lets it on at once
    assert s.patch(API + "/keys/" + capped["id"], {"cap_micros": 10 ** 9}).status_code == 200
    assert chat(pf.gw, capped["key"], body=body).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(pf):
    _, _, s = pf.user("lastused")
    key = new_key(pf, s)

    def last_used():
        return s.get(API + "/keys/" + key["id"]).json()["last_used_at"]
    assert chat(pf.gw, key["key"]).status_code == 200
    first = wait_for(last_used, WAIT_S, "the key's last use written by the usage writer")
    # used again within the minute: the writer waits (the next write is due a minute of use later)
    r = chat(pf.gw, key["key"])
    assert r.status_code == 200
    pf.gw.wait_usage(r.headers["x-request-id"])
    assert last_used() == first
    pf.advance(MINUTE_MS + 1000)
    assert chat(pf.gw, key["key"]).status_code == 200
    wait_for(lambda: last_used() != first, WAIT_S, "the next minute's use written")
    assert last_used() > first
