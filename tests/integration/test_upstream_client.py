"""The gateway's own upstream HTTP/1.1 client (issue 7 §2): keep-alive pool,
strict response parsing, backpressure toward a slow client, the send
timeout, the per-channel connection cap, and the CONNECT egress proxy."""
import json
import os
import socket
import threading
import time

import pytest

from conftest import UP_GLOBAL
from harness import Gateway, chat, wait_for
from upstreams import ConnectProxy, Scripted, basic, json_answer


def gw_for(url, extra=None, env=None):
    g = Gateway([("up", "global", url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP_GLOBAL, **(env or {})}, extra=extra)
    g.create_user("u@example.com")
    return g, g.create_key("u@example.com")


def error_code(r):
    return r.json()["error"]["code"]


# ---- keep-alive -------------------------------------------------------------

def test_connections_are_reused():
    up = Scripted([json_answer()])
    g, key = gw_for(up.url, extra={"server": {"threads": "1"}})
    try:
        for _ in range(5):
            assert chat(g, key).status_code == 200
        assert len(up.requests) == 5 and up.connections == 1
    finally:
        g.stop()
        up.stop()


def test_connection_closed_by_upstream_while_idle_is_retried_on_a_new_one():
    """The upstream closes every connection after one answer, without saying
    so: the next request finds a dead pooled connection and must not fail."""
    up = Scripted([json_answer()], close_idle=True)
    g, key = gw_for(up.url, extra={"server": {"threads": "1"}})
    try:
        for _ in range(4):
            assert chat(g, key).status_code == 200
        assert len(up.requests) == 4 and up.connections == 4
    finally:
        g.stop()
        up.stop()


def test_connection_close_header_is_honoured():
    up = Scripted([json_answer(extra=b"connection: close\r\n")], close_after=True)
    g, key = gw_for(up.url, extra={"server": {"threads": "1"}})
    try:
        for _ in range(3):
            assert chat(g, key).status_code == 200
        assert up.connections == 3
    finally:
        g.stop()
        up.stop()


def test_chunked_answer_with_trailer_is_read_whole():
    body = b'{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":6,"total_tokens":10},' \
           b'"base_resp":{"status_code":0,"status_msg":"success"}}'
    chunked = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7]) for i in range(0, len(body), 7))
    ans = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n" + chunked +
           b"0\r\nx-trailer: 1\r\n\r\n")
    up = Scripted([ans])
    g, key = gw_for(up.url, extra={"server": {"threads": "1"}})
    try:
        r = chat(g, key)
        assert r.status_code == 200 and r.content == body
        assert g.wait_usage(r.headers["x-request-id"])[0]["output_tokens"] == 6
        assert chat(g, key).status_code == 200 and up.connections == 1  # the trailer was consumed: reusable
    finally:
        g.stop()
        up.stop()


# ---- strict parsing -----------------------------------------------------------

BAD_ANSWERS = {
    "garbage status line": b"HTTX/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}",
    "status out of range": b"HTTP/1.1 099 Odd\r\ncontent-length: 2\r\n\r\n{}",
    "length and chunked": b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "two lengths": b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}",
    "negative length": b"HTTP/1.1 200 OK\r\ncontent-length: -2\r\n\r\n{}",
    "gzip coding": b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "folded header": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n  folded\r\ncontent-length: 2\r\n\r\n{}",
    "bad chunk size": b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "closed early": b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"partial\":",
    "closed in the head": b"HTTP/1.1 200 OK\r\ncontent-le",
}


@pytest.mark.parametrize("what", sorted(BAD_ANSWERS))
def test_malformed_answer_is_a_502_and_its_connection_is_dropped(what):
    up = Scripted([BAD_ANSWERS[what], json_answer()], close_after=what.startswith("closed"))
    g, key = gw_for(up.url, extra={"server": {"threads": "1"}})
    try:
        r = chat(g, key)
        assert r.status_code == 502 and error_code(r) == "upstream_bad_response", (what, r.text)
        # the same channel answers the next request on a new connection
        assert chat(g, key).status_code == 200
        assert up.connections == 2
    finally:
        g.stop()
        up.stop()


def test_broken_chunk_mid_stream_ends_with_an_error_frame_and_no_framing_leaks():
    frames = b"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"
    ans = (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n" +
           b"%x\r\n%s\r\n" % (len(frames), frames) + b"zz\r\n")
    up = Scripted([ans], close_after=True)
    g, key = gw_for(up.url)
    try:
        r = chat(g, key, stream=True)
        body = r.content
        assert body.startswith(frames)
        tail = body[len(frames):]
        assert tail.startswith(b"data: {\"error\":") and b"upstream_stream_broken" in tail
        assert b"\r\n" not in body  # no chunk framing reaches the client
    finally:
        g.stop()
        up.stop()


# ---- the connection cap -------------------------------------------------------

def test_connection_cap_per_channel_queues_requests():
    def slow(req):
        time.sleep(0.3)  # the upstream's own think time, not a wait in the test
        return json_answer()
    up = Scripted([slow])
    g, key = gw_for(up.url, extra={"server": {"threads": "1"}, "upstream": {"max_connections": "1"}})
    try:
        results = []
        ts = [threading.Thread(target=lambda: results.append(chat(g, key).status_code)) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        assert results == [200] * 4
        assert up.max_open == 1 and up.connections == 1
    finally:
        g.stop()
        up.stop()


def test_waiting_past_the_connect_timeout_for_a_capped_connection_is_503():
    def slow(req):
        time.sleep(1.0)  # holds the only connection longer than the connect timeout below
        return json_answer()
    up = Scripted([slow])
    g, key = gw_for(up.url, extra={"server": {"threads": "1"},
                                   "upstream": {"max_connections": "1", "connect_timeout_ms": "200"}})
    try:
        first = []
        t = threading.Thread(target=lambda: first.append(chat(g, key).status_code))
        t.start()
        wait_for(lambda: len(up.requests) == 1, 10, "the first request to hold the connection")
        r = chat(g, key)
        assert r.status_code == 503 and error_code(r) == "overloaded" and r.headers["retry-after"] == "1"
        t.join(30)
        assert first == [200]
        assert chat(g, key).status_code == 200  # the channel was not cooled down for our own cap
    finally:
        g.stop()
        up.stop()


# ---- backpressure and the send timeout ------------------------------------------

def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def stalled_stream(gw, key, tokens=100000):
    """Starts a long stream and never reads it (a 4 KiB receive buffer)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", gw.port))
    body = json.dumps({"model": "MiniMax-M2.7", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    s.sendall(("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer %s\r\n"
               "content-type: application/json\r\nx-sim-tokens: %d\r\ncontent-length: %d\r\n\r\n%s"
               % (key, tokens, len(body), body)).encode())
    return s


def settled(sample, n=8):
    """A predicate for wait_for: true once n samples in a row are equal."""
    seen = []

    def pred():
        seen.append(sample())
        return len(seen) >= n and len(set(seen[-n:])) == 1 and seen[-1]
    return pred


def test_stalled_readers_do_not_grow_memory(sim_global):
    """Five clients stop reading 25 MB streams: maxgated stops reading the
    upstream, so its memory stays near the high-water mark per stream
    (at HEAD before this client: +28 MB per stalled stream)."""
    # ASan's quarantine keeps freed buffers resident; without it RSS shows what is live
    g, key = gw_for(sim_global.url, extra={"server": {"threads": "1"}},
                    env={"ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1:quarantine_size_mb=0"})
    socks = []
    try:
        assert chat(g, key, stream=True).status_code == 200  # warm up pools and caches
        # after the loop thread's first event the usage writer prepares that lane's spare segment and
        # one for the next lane (4 MiB each, faulted in ahead): measure once both exist
        jdir = os.path.join(g.dir, "usage.journal")
        wait_for(lambda: len([f for f in os.listdir(jdir) if f.endswith(".jnl")]) >= 3, what="the spare segments")
        before = rss_kib(g.proc.pid)
        socks = [stalled_stream(g, key) for _ in range(5)]
        # wait until the sim has pushed all it can (its bytes written stop moving)
        sim_io = "/proc/%d/io" % sim_global.proc.pid

        def wchar():
            return [int(l.split()[1]) for l in open(sim_io) if l.startswith("wchar")][0] // 65536
        wait_for(settled(wchar), 60, "the simulator to stop sending")
        grown = rss_kib(g.proc.pid) - before
        assert grown < 5 * 3 * 1024, "maxgated grew %d KiB for 5 stalled streams" % grown
    finally:
        for s in socks:
            s.close()
        g.stop()


def test_client_that_reads_nothing_is_cut_off_and_billed(sim_global):
    g, key = gw_for(sim_global.url, extra={"server": {"send_timeout_ms": "300"}})
    s = None
    try:
        s = stalled_stream(g, key, tokens=50000)
        line = wait_for(lambda: [l for l in g.access_lines() if l.get("error") == "CLIENT_STALLED"], 30,
                        "the stalled stream to be ended")[0]
        assert line["status"] == 499
        assert chat(g, key).status_code == 200  # the server goes on serving
    finally:
        if s is not None:
            s.close()
        g.stop()


# ---- egress proxy (GW-7) ----------------------------------------------------------

def test_https_proxy_from_the_environment_is_used_with_connect(sim_global):
    proxy = ConnectProxy()
    target = sim_global.https_url.split("://")[1]
    g, key = gw_for(sim_global.https_url, extra={"upstream": {"ca_file": sim_global.cert}, "server": {"threads": "1"}},
                    env={"HTTPS_PROXY": proxy.url, "NO_PROXY": "example.com"})
    try:
        assert chat(g, key).status_code == 200
        assert proxy.targets == [target]  # one tunnel, TLS to the sim inside it
        assert chat(g, key).status_code == 200 and len(proxy.targets) == 1  # the tunnel is kept alive
    finally:
        g.stop()
        proxy.stop()


def test_no_proxy_exempts_the_upstream(sim_global):
    proxy = ConnectProxy()
    g, key = gw_for(sim_global.url, env={"HTTP_PROXY": proxy.url, "NO_PROXY": "localhost,127.0.0.1"})
    try:
        assert chat(g, key).status_code == 200
        assert proxy.targets == []
    finally:
        g.stop()
        proxy.stop()


def test_channel_proxy_setting_with_credentials(sim_global):
    proxy = ConnectProxy()
    url = "http://alice:s3cret@127.0.0.1:%d" % proxy.port
    g = Gateway([("up", "global", sim_global.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP_GLOBAL})
    try:
        g.stop()
        with open(g.config, "a") as f:
            f.write("[channel.up]\nproxy = %s\n" % url)
        g.start()
        g.create_user("u@example.com")
        key = g.create_key("u@example.com")
        assert chat(g, key).status_code == 200
        assert proxy.auth == [basic("alice", "s3cret")]
        assert "s3cret" not in g.logs()
    finally:
        g.stop()
        proxy.stop()


def test_proxy_that_refuses_is_a_clear_502(sim_global):
    proxy = ConnectProxy(refuse=True)
    g, key = gw_for(sim_global.url, env={"HTTP_PROXY": proxy.url})
    try:
        r = chat(g, key)
        assert r.status_code == 502 and error_code(r) == "upstream_connect"
        g.wait_log("proxy")
    finally:
        g.stop()
        proxy.stop()
