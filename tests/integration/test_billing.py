"""BL-1, BL-2: one usage event per billed response at official price x ratio;
none for errors; a kill -9 loses nothing and bills nothing twice."""
import signal

from conftest import UP_GLOBAL
from harness import Gateway, chat


def test_ratio_and_exact_cost(sim_global):
    g = Gateway([("sim", "global", sim_global.url, "UPK", 1)], env={"UPK": UP_GLOBAL},
                extra={"billing": {"ratio": "0.40"}})
    try:
        g.create_user("r@example.com")
        k = g.create_key("r@example.com")
        body = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "x" * 400}]}
        r = chat(g, k, body=body, headers={"x-sim-tokens": "1000"})
        usage = r.json()["usage"]
        row = g.wait_usage(r.headers["x-request-id"])[0]
        assert (row["input_tokens"], row["output_tokens"]) == (usage["prompt_tokens"], usage["completion_tokens"])
        # official: $0.30 / $1.20 per 1M tokens = 0.3 / 1.2 micro per token; ratio 0.40; rounded half up once
        exact_x10 = (usage["prompt_tokens"] * 3 + usage["completion_tokens"] * 12) * 4  # in 1/100 micro
        assert row["cost_micros"] == (exact_x10 + 50) // 100
        # image: $0.0035 each x 0.40, count read from a string
        r = chat(g, k, path="/v1/image_generation", body={"model": "image-01", "prompt": "cat", "n": 3})
        row = g.wait_usage(r.headers["x-request-id"])[0]
        assert row["images"] == 3 and row["cost_micros"] == 4200
    finally:
        g.stop()


def test_exactly_one_event_per_billed_response(gateway, key):
    ids = [chat(gateway, key).headers["x-request-id"] for _ in range(10)]
    errors = [chat(gateway, key, body={"model": "sim-429", "messages": []}) for _ in range(3)]
    assert all(e.status_code == 429 for e in errors)
    later = chat(gateway, key).headers["x-request-id"]
    gateway.wait_usage(later)  # committed in order: everything before it is there now
    rows = [u["request_id"] for u in gateway.usage()]
    assert all(rows.count(rid) == 1 for rid in ids)
    assert not [e for e in errors if e.headers.get("x-request-id") in rows]


def test_kill_9_loses_no_event_and_double_counts_none(sim_global):
    g = Gateway([("sim", "global", sim_global.url, "UPK", 1)], env={"UPK": UP_GLOBAL})
    g.create_user("k@example.com")
    k = g.create_key("k@example.com")
    ids = [chat(g, k).headers["x-request-id"] for _ in range(20)]
    g.stop(sig=signal.SIGKILL)
    g.start()
    try:
        rows = g.usage()
        got = [u["request_id"] for u in rows]
        assert sorted(got) == sorted(ids)  # every event once, none twice
        assert chat(g, k).status_code == 200
    finally:
        g.stop()
