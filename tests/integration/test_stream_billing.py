"""GW-5 / BL-2: every delivered token billed.  A stream that ends early gets
one usage event whose status says how it ended (499 the client left, 502 the
upstream broke, 503 the drain timeout cut it); the upstream's own usage when
it came (read on after the client left), else an estimate from the text
relayed, marked estimated.  Every early end the client sees is a clean SSE
ending in its family's shape: an error event, then the terminating chunk."""
import json
import signal
import socket

import pytest

from harness import Gateway, wait_for

UP_KEY = "upstream-global-key-123"
SIM_WORDS = ["Hello", "!", " I", " am", " a", " simulated", " MiniMax", " model", "."]
THINKING = "The user greets me."  # the simulator's Anthropic thinking block


def est_tokens(chars):
    """gateway/estimate.h for ASCII text: 4 characters a token, rounded up."""
    return (chars + 3) // 4


def words_chars(n):
    return sum(len(SIM_WORDS[i % len(SIM_WORDS)]) for i in range(n))


def send_request(gw, key, path, body, headers):
    data = json.dumps(body).encode()
    s = socket.create_connection(("127.0.0.1", gw.port))
    s.settimeout(30)
    head = "POST %s HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer %s\r\n" % (path, key)
    for k, v in headers.items():
        head += "%s: %s\r\n" % (k, v)
    head += "content-length: %d\r\n\r\n" % len(data)
    s.sendall(head.encode() + data)
    return s


def read_head(s):
    """Reads up to the end of the response head; returns (status, headers, rest)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        assert chunk, "connection closed before the response head"
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdrs, rest


def read_chunked(s, rest):
    """Decodes a chunked body strictly to its end; returns (body, terminated):
    terminated means the zero-size last chunk came."""
    buf, body = rest, b""
    while True:
        while b"\r\n" not in buf:
            c = s.recv(65536)
            if not c:
                return body, False
            buf += c
        line, buf = buf.split(b"\r\n", 1)
        size = int(line, 16)  # anything else is a framing error reaching us
        while len(buf) < size + 2:
            c = s.recv(65536)
            if not c:
                return body + buf, False
            buf += c
        assert buf[size:size + 2] == b"\r\n", "chunk not followed by CRLF"
        if size == 0:
            return body, True
        body, buf = body + buf[:size], buf[size + 2:]


def sse(body):
    events = []
    for block in body.decode().replace("\r\n", "\n").split("\n\n"):
        ev = {}
        for line in block.split("\n"):
            if line.startswith("event:"):
                ev["event"] = line[6:].strip()
            elif line.startswith("data:"):
                ev["data"] = ev.get("data", "") + line[5:].strip()
        if ev:
            events.append(ev)
    return events


def stream_whole(gw, key, path, body, headers):
    s = send_request(gw, key, path, dict(body, stream=True), headers)
    try:
        status, hdrs, rest = read_head(s)
        assert hdrs.get("transfer-encoding") == "chunked"
        data, terminated = read_chunked(s, rest)
    finally:
        s.close()
    return status, hdrs, data, terminated


def leave_after_first_event(gw, key, path, body, headers):
    """Starts a stream, reads its head and first event, hangs up; returns the request id."""
    s = send_request(gw, key, path, dict(body, stream=True), headers)
    status, hdrs, rest = read_head(s)
    assert status == 200
    while b"\n\n" not in rest:
        rest += s.recv(65536)
    s.close()
    return hdrs["x-request-id"]


CHAT = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello"}]}
ANTHROPIC = {"model": "MiniMax-M2.7", "max_tokens": 64, "messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture(scope="module")
def gw(sim_global):
    g = Gateway([("sim", "global", sim_global.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP_KEY})
    g.create_user("alice@example.com")
    yield g
    assert g.stop() == 0


@pytest.fixture(scope="module")
def key(gw):
    return gw.create_key("alice@example.com")


def one_event(gw, rid):
    rows = gw.wait_usage(rid)
    assert len(rows) == 1, rows
    return rows[0]


def test_chat_client_leaves_mid_stream_billed_the_upstreams_usage(gw, key):
    rid = leave_after_first_event(gw, key, "/v1/chat/completions", CHAT,
                                  {"x-sim-tokens": "40", "x-sim-delay-ms": "20"})
    ev = one_event(gw, rid)
    # the gateway read on after the client left: the upstream's own final usage
    assert ev["http_status"] == 499 and ev["estimated"] is False
    assert ev["output_tokens"] == 40 and ev["input_tokens"] >= 1 and ev["cost_micros"] > 0
    assert gw.wait_access_line(rid)[0]["status"] == 499


def test_anthropic_client_leaves_mid_stream_billed_input_and_output(gw, key):
    rid = leave_after_first_event(gw, key, "/anthropic/v1/messages", ANTHROPIC,
                                  {"x-sim-tokens": "40", "x-sim-delay-ms": "20"})
    ev = one_event(gw, rid)
    assert ev["http_status"] == 499 and ev["estimated"] is False
    assert ev["output_tokens"] == 40 and ev["input_tokens"] >= 1


def test_chat_upstream_dies_mid_stream_estimated_502_clean_end(gw, key):
    status, hdrs, body, terminated = stream_whole(gw, key, "/v1/chat/completions", CHAT,
                                                  {"x-sim-tokens": "8", "x-sim-fault": "drop"})
    assert status == 200 and terminated, "the stream must end with the terminating chunk"
    assert b"\r\n1\r\n" not in body  # no transfer-encoding bytes in the SSE body
    events = sse(body)
    assert json.loads(events[-1]["data"])["error"]["type"] == "api_error"
    assert all(json.loads(e["data"])["object"] == "chat.completion.chunk" for e in events[:-1])
    ev = one_event(gw, hdrs["x-request-id"])
    delivered = words_chars(4)  # the simulator drops the stream after half of its 8 chunks
    assert ev["http_status"] == 502 and ev["estimated"] is True
    assert ev["output_tokens"] == est_tokens(delivered) and ev["input_tokens"] >= 1


def test_anthropic_upstream_dies_mid_stream_estimated_502_clean_end(gw, key):
    status, hdrs, body, terminated = stream_whole(gw, key, "/anthropic/v1/messages", ANTHROPIC,
                                                  {"x-sim-tokens": "8", "x-sim-fault": "drop"})
    assert terminated
    events = sse(body)
    assert events[-1]["event"] == "error" and json.loads(events[-1]["data"])["type"] == "error"
    assert events[0]["event"] == "message_start"
    ev = one_event(gw, hdrs["x-request-id"])
    assert ev["http_status"] == 502 and ev["estimated"] is True
    # input from message_start (the upstream's), output from the thinking and the 4 text deltas relayed
    start = json.loads(events[0]["data"])
    assert ev["input_tokens"] == start["message"]["usage"]["input_tokens"]
    assert ev["output_tokens"] == est_tokens(len(THINKING) + words_chars(4))


def test_complete_stream_is_not_estimated(gw, key):
    status, hdrs, body, terminated = stream_whole(gw, key, "/v1/chat/completions", CHAT, {"x-sim-tokens": "5"})
    assert terminated and sse(body)[-1]["data"] == "[DONE]"
    ev = one_event(gw, hdrs["x-request-id"])
    assert ev["http_status"] == 200 and ev["estimated"] is False and ev["output_tokens"] == 5


def test_disconnect_before_the_first_byte_is_499(gw, key):
    """The client hangs up while the upstream has not answered yet.  The
    upstream then answers (it did the work): its usage is billed, 499."""
    s = send_request(gw, key, "/v1/chat/completions", dict(CHAT, stream=True),
                     {"x-sim-tokens": "6", "x-sim-fault": "slow:800", "x-test-marker": "before-first-byte"})
    s.close()
    line = wait_for(lambda: [l for l in gw.access_lines() if l.get("route") and l.get("status") == 499
                             and l.get("latency_us", 0) >= 700000 and l.get("output_tokens") == 6],
                    what="the access line of the request that left before the first byte")[0]
    ev = one_event(gw, line["request_id"])
    assert ev["http_status"] == 499 and ev["output_tokens"] == 6 and ev["estimated"] is False
    assert not [r for r in gw.usage() if r["http_status"] == 200 and r["output_tokens"] == 6]


@pytest.fixture
def tight(sim_global):
    """A gateway that reads a left client's upstream at most 400 ms / 4 KiB,
    and cuts streams 1 s after SIGTERM."""
    g = Gateway([("sim", "global", sim_global.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP_KEY},
                extra={"limits": {"drain_usage_ms": "400", "drain_usage_bytes": "4096"},
                       "server": {"drain_timeout_ms": "1000"}})
    g.create_user("alice@example.com")
    g.key = g.create_key("alice@example.com")
    yield g
    g.stop()


def test_client_leaves_and_no_usage_within_drain_usage_ms_is_estimated(tight):
    rid = leave_after_first_event(tight, tight.key, "/v1/chat/completions", CHAT,
                                  {"x-sim-tokens": "200", "x-sim-delay-ms": "100"})
    ev = one_event(tight, rid)
    assert ev["http_status"] == 499 and ev["estimated"] is True and 1 <= ev["output_tokens"] < 200
    tight.wait_log("no usage from the upstream within 400 ms")


def test_client_leaves_and_no_usage_within_drain_usage_bytes_is_estimated(tight):
    rid = leave_after_first_event(tight, tight.key, "/v1/chat/completions", CHAT,
                                  {"x-sim-tokens": "20000", "x-sim-delay-ms": "1"})
    ev = one_event(tight, rid)
    assert ev["http_status"] == 499 and ev["estimated"] is True and ev["output_tokens"] >= 1
    tight.wait_log("no usage from the upstream within 4096 bytes")


@pytest.mark.parametrize("path,body", [("/v1/chat/completions", CHAT), ("/anthropic/v1/messages", ANTHROPIC)])
def test_drain_timeout_cuts_streams_cleanly_503_estimated(tight, path, body):
    s = send_request(tight, tight.key, path, dict(body, stream=True), {"x-sim-tokens": "300", "x-sim-delay-ms": "50"})
    status, hdrs, rest = read_head(s)
    while rest.count(b"\n\n") < 3:  # a few events delivered
        rest += s.recv(65536)
    tight.proc.send_signal(signal.SIGTERM)
    data, terminated = read_chunked(s, rest)
    s.close()
    assert terminated, "the cut stream must end with the terminating chunk"
    events = sse(data)
    err = events[-1]
    if path.startswith("/anthropic"):
        assert err["event"] == "error" and json.loads(err["data"])["error"]["type"] == "overloaded_error"
    else:
        assert "error" in json.loads(err["data"])
    tight.proc.wait(timeout=30)  # exits on its own after the cut (a second SIGTERM would kill it)
    assert tight.stop() == 0
    ev = one_event(tight, hdrs["x-request-id"])
    assert ev["http_status"] == 503 and ev["estimated"] is True
    assert 1 <= ev["output_tokens"] < 300 and ev["input_tokens"] >= 1


def test_kill_9_mid_stream_billed_from_the_last_checkpoint(sim_global):
    """The process dies mid-stream: the next start bills the stream from its
    last checkpoint (journaled about once a second while text flows)."""
    import sqlite3
    import os
    g = Gateway([("sim", "global", sim_global.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP_KEY})
    try:
        g.create_user("alice@example.com")
        k = g.create_key("alice@example.com")
        s = send_request(g, k, "/v1/chat/completions", dict(CHAT, stream=True),
                         {"x-sim-tokens": "400", "x-sim-delay-ms": "20"})
        status, hdrs, rest = read_head(s)
        rid = hdrs["x-request-id"]
        db = os.path.join(g.dir, "maxgate.db")

        def checkpointed():
            s.setblocking(False)
            try:
                s.recv(65536)  # keep the stream flowing
            except BlockingIOError:
                pass
            with sqlite3.connect(db, timeout=5) as c:
                return c.execute("SELECT output_tokens FROM stream_checkpoints WHERE request_id = ?",
                                 (rid,)).fetchone()
        wait_for(checkpointed, what="a checkpoint of the open stream")
        g.stop(signal.SIGKILL)
        s.close()
        assert g.usage(rid) == []  # nothing billed yet: the stream never ended
        g.start()
        ev = one_event(g, rid)
        assert ev["http_status"] == 503 and ev["estimated"] is True
        assert 1 <= ev["output_tokens"] < 400 and ev["input_tokens"] >= 1 and ev["cost_micros"] > 0
        g.wait_log("billed from their last checkpoint")
    finally:
        assert g.stop() == 0
