"""BL-3: a cap holds under any concurrency.  Before forwarding, the gateway
reserves a request's worst case (max_tokens at the output price plus one
input token per body byte) against what the cap leaves; 50 requests released
at once by a barrier can only get what fits.  Afterwards no reservation is
open (maxgate_reserved_micros is 0) and the recorded spend is within the cap.
SECURITY-REFERENCES §8.44, §8.45."""
import json
import re
import threading

import pytest
import requests

from conftest import UP_GLOBAL
from harness import Gateway, chat, wait_for

N = 50
MAX_TOKENS = 25000
# MiniMax-M2.7 (src/billing/prices.c): $0.30 / $1.20 per 1M tokens = 0.3 / 1.2 micro per token; ratio 1
BODY = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello"}], "max_tokens": MAX_TOKENS}
BODY_BYTES = len(json.dumps(BODY))
WORST = (BODY_BYTES * 3 + MAX_TOKENS * 12 + 5) // 10  # half up, as mg_prices_cost


def reserved(gw):
    text = requests.get(gw.url + "/metrics", timeout=10).text
    return int(re.search(r"^maxgate_reserved_micros (-?\d+)$", text, re.M).group(1))


def capped_gateway(sim, threads, cap):
    g = Gateway([("sim", "global", sim.url, "UPK", 1)], env={"UPK": UP_GLOBAL},
                extra={"server": {"threads": str(threads)}})
    g.create_user("capped@example.com")
    k = g.create_key("capped@example.com")
    g.admin("user", "set-cap", "--email", "capped@example.com", "--cap", cap)

    def capped():  # the cap reaches the key cache within its 250 ms poll
        q = requests.get(g.url + "/account/query_balance", headers={"authorization": "Bearer " + k}, timeout=5)
        return q.json()["maxgate"]["has_cap"]
    wait_for(capped, what="the cap to reach the key cache")
    return g, k


def race(gw, key, n=N):
    """n requests released together; each asks the simulator for exactly
    max_tokens of output, so an admitted one really costs its worst case's
    output part and the cap cannot be refilled by cheap answers."""
    barrier = threading.Barrier(n)
    out = [None] * n

    def one(i):
        s = requests.Session()
        barrier.wait(timeout=60)
        out[i] = chat(gw, key, body=BODY, headers={"x-sim-tokens": str(MAX_TOKENS)})
        s.close()
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert all(r is not None for r in out)
    return out


def check_refusal(r, cap_micros):
    assert r.status_code == 429
    err = r.json()["error"]
    assert err["type"] == "insufficient_quota" and "Spending cap reached" in err["message"]
    assert "may cost up to" in err["message"] and "wait for the period to reset" in err["message"]
    # Retry-After is the time to the period reset: never a small number an SDK would retry at once
    assert int(r.headers["retry-after"]) >= 1
    assert int(r.headers["retry-after"]) <= 31 * 86400
    # the openai / anthropic SDKs retry a 429 (or sleep for Retry-After) unless told not to
    assert r.headers["x-should-retry"] == "false"


@pytest.mark.parametrize("threads", [1, 2])
def test_50_concurrent_requests_never_pass_the_cap(sim_global, threads):
    cap = 50000  # $0.05: WORST (~30000) > cap / 2, so at most one fits
    assert WORST > cap // 2
    g, k = capped_gateway(sim_global, threads, "0.05")
    try:
        out = race(g, k)
        ok = [r for r in out if r.status_code == 200]
        assert len(ok) <= cap // WORST
        assert len(ok) >= 1  # the first one fits
        for r in out:
            if r.status_code != 200:
                check_refusal(r, cap)
        wait_for(lambda: reserved(g) == 0, what="every reservation to be settled or released")
        for r in ok:
            g.wait_usage(r.headers["x-request-id"])
        rows = g.usage()
        assert sorted(u["request_id"] for u in rows) == sorted(r.headers["x-request-id"] for r in ok)
        assert sum(u["cost_micros"] for u in rows) <= cap
        # what is left now is below the worst case: the next one is refused too, and says what is left
        r = chat(g, k, body=BODY, headers={"x-sim-tokens": str(MAX_TOKENS)})
        check_refusal(r, cap)
    finally:
        g.stop()


@pytest.mark.parametrize("threads", [1, 2])
def test_a_cap_of_one_micro_admits_nothing_billable(sim_global, threads):
    g, k = capped_gateway(sim_global, threads, "0.000001")
    try:
        out = race(g, k)
        assert [r.status_code for r in out] == [429] * N
        for r in out:
            check_refusal(r, 1)
        native = chat(g, k, path="/v1/text/chatcompletion_v2", body=BODY)
        assert native.status_code == 429 and native.json()["base_resp"]["status_code"] == 1008
        assert reserved(g) == 0
        # a request that costs nothing by itself (no units) still passes while the cap is not reached
        assert requests.get(g.url + "/v1/models", headers={"authorization": "Bearer " + k}, timeout=10).status_code == 200
        assert g.usage() == []
    finally:
        g.stop()


def test_a_failed_request_gives_its_reservation_back(sim_global):
    g, k = capped_gateway(sim_global, 2, "0.05")
    try:
        # upstream errors (no usage event): each releases its hold, so the next still fits
        for _ in range(5):
            r = chat(g, k, body=BODY, headers={"x-sim-fault": "500"})
            assert r.status_code >= 400 and r.status_code != 429, r.text
            # the hold goes back when h2o disposes the request, which can be just after the answer
            # reached us (another loop thread may take the next request first): wait for that fact
            wait_for(lambda: reserved(g) == 0, what="the failed request's reservation to be released")
        r = chat(g, k, body=BODY, headers={"x-sim-tokens": "10"})
        assert r.status_code == 200, r.text
        wait_for(lambda: reserved(g) == 0, what="the settled reservation")
        # a stream the client leaves early is settled or released as well
        s = chat(g, k, body=BODY, stream=True, headers={"x-sim-tokens": "2000"})
        assert s.status_code == 200
        next(s.iter_content(64))
        s.close()
        wait_for(lambda: reserved(g) == 0, what="the abandoned stream's reservation")
    finally:
        g.stop()
