"""Hostile HTTP on maxgated's listening side (issue 7 §3; SECURITY-REFERENCES
§8.50 smuggling, §8.51 limits).  Raw sockets: every ambiguous or malformed
request gets 400 and the connection is closed, so a request pipelined behind it
is never executed (the simulator never sees it); HTTP/2 is off; slowloris,
idle connections, the connection cap and the descriptor limit leave the server
serving.  The policy is in docs/api.md ("HTTP framing") and
docs/operations.md (max_connections, descriptor limit)."""
import json
import os
import re
import resource
import select
import socket
import ssl
import subprocess
import time
import uuid

import pytest
import requests

import harness
from harness import Gateway, chat, wait_for

CHAT = "/v1/chat/completions"


# ---- raw HTTP helpers ---------------------------------------------------------------------

def connect(port, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until_close(s, timeout=10):
    """Everything the server sends until it closes; (bytes, closed)."""
    out, deadline = b"", time.time() + timeout
    while time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return out, False
        except (ConnectionResetError, BrokenPipeError):
            return out, True
        if not chunk:
            return out, True
        out += chunk
    return out, False


def exchange(port, data, timeout=10):
    """Sends data on a new connection; (bytes received, server closed)."""
    s = connect(port)
    try:
        s.sendall(data)
    except (ConnectionResetError, BrokenPipeError):
        pass
    try:
        return read_until_close(s, timeout)
    finally:
        s.close()


def read_response(s, timeout=10):
    """One response (Content-Length or chunked body); (status, headers, body)."""
    buf, deadline = b"", time.time() + timeout

    def need(pred):
        nonlocal buf
        while not pred():
            s.settimeout(max(0.01, deadline - time.time()))
            chunk = s.recv(65536)
            assert chunk, "closed mid-response: %r" % buf[:300]
            buf += chunk

    need(lambda: b"\r\n\r\n" in buf)
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    if headers.get("transfer-encoding", "").lower() != "chunked":
        n = int(headers.get("content-length", "0"))
        need(lambda: len(buf) >= n)
        return status, headers, buf[:n]
    body = b""
    while True:
        need(lambda: b"\r\n" in buf)
        size_line, buf = buf.split(b"\r\n", 1)
        n = int(size_line.split(b";")[0], 16)
        need(lambda: len(buf) >= n + 2)
        body, buf = body + buf[:n], buf[n + 2:]
        if n == 0:
            return status, headers, body


def statuses(raw):
    return [int(m) for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", raw)]


def first_body(raw):
    """The body of the first response, which must be a Content-Length or close-delimited one."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)content-length: *(\d+)", head)
    return rest[:int(m.group(1))] if m else rest


def chat_body(marker):
    return json.dumps({"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": marker}]}).encode()


def post_head(key, headers, path=CHAT):
    lines = ["POST %s HTTP/1.1" % path, "Host: 127.0.0.1", "Authorization: Bearer " + key,
             "Content-Type: application/json"] + headers
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(body):
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


def pipelined(key, marker):
    """A well-formed chat request that closes the connection after its answer."""
    body = chat_body(marker)
    return post_head(key, ["Content-Length: %d" % len(body), "Connection: close"]) + body


def seen_by_sim(sim, marker):
    return any(marker in json.dumps(r) for r in sim.requests())


def marker():
    return "hostile-" + uuid.uuid4().hex


# ---- the control: a clean chunked request and the one behind it both run ------------------

def test_control_chunked_then_pipelined_both_execute(gateway, key, sim_global):
    m1, m2 = marker(), marker()
    body = chat_body(m1)
    raw, closed = exchange(gateway.port, post_head(key, ["Transfer-Encoding: chunked"]) + chunked(body)
                           + pipelined(key, m2))
    assert statuses(raw) == [200, 200] and closed
    assert seen_by_sim(sim_global, m1) and seen_by_sim(sim_global, m2)


# ---- smuggling (§8.50): refused by our guard with HTTP_FRAMING ---------------------------

def framing_cases(key, m1):
    body = chat_body(m1)
    return {
        "cl_then_te": post_head(key, ["Content-Length: 4", "Transfer-Encoding: chunked"]) + chunked(body),
        "te_then_cl": post_head(key, ["Transfer-Encoding: chunked", "Content-Length: %d" % len(body)]) + chunked(body),
        "cl_cl_different": post_head(key, ["Content-Length: %d" % len(body), "Content-Length: 0"]) + body,
        "cl_cl_different_short_first": post_head(key, ["Content-Length: 0", "Content-Length: %d" % len(body)]) + body,
        "cl_cl_equal": post_head(key, ["Content-Length: %d" % len(body)] * 2) + body,
        "te_te_chunked": post_head(key, ["Transfer-Encoding: chunked"] * 2) + chunked(body),
        "te_identity_then_chunked": post_head(key, ["Transfer-Encoding: identity", "Transfer-Encoding: chunked"])
        + chunked(body),
        "obs_fold": post_head(key, ["Content-Length: %d" % len(body), "X-Folded: a", " folded-on"]) + body,
        "obs_fold_tab": post_head(key, ["Content-Length: %d" % len(body), "X-Folded: a", "\tfolded-on"]) + body,
        "bare_lf_header": post_head(key, ["Content-Length: %d" % len(body)]).replace(b"Host: 127.0.0.1\r\n",
                                                                                     b"Host: 127.0.0.1\n") + body,
        "bare_lf_everywhere": post_head(key, ["Content-Length: %d" % len(body)]).replace(b"\r\n", b"\n") + body,
    }


@pytest.mark.parametrize("case", list(framing_cases("k", "m").keys()))
def test_ambiguous_framing_is_400_and_closes(gateway, key, sim_global, case):
    m1, m2 = marker(), marker()
    raw, closed = exchange(gateway.port, framing_cases(key, m1)[case] + pipelined(key, m2))
    assert statuses(raw) == [400], raw[:300]
    assert closed, "the connection stayed open after the 400"
    assert re.search(rb"(?i)\r\nconnection: close\r\n", raw)
    err = json.loads(first_body(raw))["error"]
    assert err["code"] == "http_framing" and err["request_id"], err
    assert not seen_by_sim(sim_global, m1), "the refused request reached the upstream"
    assert not seen_by_sim(sim_global, m2), "the request pipelined behind it was executed"


def test_framing_error_has_the_family_shape(gateway, key):
    body = b"{}"
    framing = "Malformed HTTP request"
    for path, probe in (("/v1/text/chatcompletion_v2", lambda d: d["base_resp"]["status_code"] == 2013
                         and framing in d["base_resp"]["status_msg"] and d["request_id"]),
                        ("/anthropic/v1/messages", lambda d: d["type"] == "error"
                         and d["error"]["type"] == "invalid_request_error" and framing in d["error"]["message"])):
        raw, closed = exchange(gateway.port, post_head(key, ["Content-Length: 2"] * 2, path=path) + body)
        assert statuses(raw) == [400] and closed
        assert probe(json.loads(first_body(raw))), raw


def test_bare_lf_get_is_refused(gateway):
    raw, closed = exchange(gateway.port, b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n")
    assert statuses(raw) == [400] and closed


# ---- what h2o refuses itself: 400 and close too ------------------------------------------

def h2o_refusals(key, m1):
    body = chat_body(m1)
    te = lambda v: post_head(key, ["Transfer-Encoding: " + v]) + chunked(body)
    cl = lambda v: post_head(key, ["Content-Length: " + v]) + body
    return {
        "te_chunked_identity": te("chunked, identity"),
        "te_identity_chunked": te("identity, chunked"),
        "te_xchunked": te("xchunked"),
        "te_identity": te("identity"),
        "cl_plus": cl("+%d" % len(body)),
        "cl_minus": cl("-1"),
        "cl_hex": cl("0x%x" % len(body)),
        "cl_20_digits": cl("1" * 20),
        "cl_list": cl("%d, %d" % (len(body), len(body))),
        "space_before_colon": post_head(key, ["Content-Length : %d" % len(body)]) + body,
        "chunk_size_overflow": post_head(key, ["Transfer-Encoding: chunked"]) + b"ffffffffffffffff1\r\nx\r\n0\r\n\r\n",
        "chunk_size_not_hex": post_head(key, ["Transfer-Encoding: chunked"]) + b"zz\r\nx\r\n0\r\n\r\n",
        "nul_in_header": post_head(key, ["X-A: a\x00b", "Content-Length: %d" % len(body)]) + body,
        "http2_request_line": b"GET / HTTP/2.0\r\n\r\n",
    }


@pytest.mark.parametrize("case", list(h2o_refusals("k", "m").keys()))
def test_h2o_parse_errors_are_400_and_close(gateway, key, sim_global, case):
    m1, m2 = marker(), marker()
    raw, closed = exchange(gateway.port, h2o_refusals(key, m1)[case] + pipelined(key, m2))
    assert statuses(raw) == [400], raw[:300]
    assert closed
    assert not seen_by_sim(sim_global, m1) and not seen_by_sim(sim_global, m2)


# ---- limits (§8.51) ----------------------------------------------------------------------

def test_overlong_request_line_is_400_and_closes(gateway, key):
    raw, closed = exchange(gateway.port, b"GET /" + b"a" * 500000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert statuses(raw) == [400] and closed
    assert chat(gateway, key).status_code == 200


def test_overlong_header_is_400_and_closes(gateway, key):
    raw, closed = exchange(gateway.port, b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * 500000 + b"\r\n\r\n")
    assert statuses(raw) == [400] and closed


def test_too_many_headers_is_400_and_closes(gateway):
    lines = b"".join(b"X-H%d: v\r\n" % i for i in range(101))
    raw, closed = exchange(gateway.port, b"GET /healthz HTTP/1.1\r\n" + lines + b"\r\n")
    assert statuses(raw) == [400] and closed
    lines = b"".join(b"X-H%d: v\r\n" % i for i in range(90))
    raw, closed = exchange(gateway.port, b"GET /healthz HTTP/1.1\r\nConnection: close\r\n" + lines + b"\r\n")
    assert statuses(raw) == [200]


def test_many_idle_connections_do_not_block_a_request(gateway, key):
    idle = []
    try:
        for _ in range(500):
            idle.append(connect(gateway.port))
        idle[0].sendall(b"GET /he")  # one of them half a request
        assert chat(gateway, key).status_code == 200
        idle[1].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(idle[1])[0] == 200
    finally:
        for s in idle:
            s.close()


# ---- HTTP/2 is off -----------------------------------------------------------------------

def test_h2c_upgrade_gets_http1(gateway):
    s = connect(gateway.port)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                  b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
        status, headers, body = read_response(s)
        assert status == 200 and body == b"ok\n"
        assert "upgrade" not in headers
    finally:
        s.close()


def test_h2_prior_knowledge_is_refused(gateway):
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    settings = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
    raw, closed = exchange(gateway.port, preface + settings)
    assert raw.startswith(b"HTTP/1.1 400 ") and closed, raw[:100]


@pytest.fixture(scope="module")
def tls_gateway():
    g = Gateway([], tls=True)
    yield g
    assert g.stop() == 0


@pytest.mark.parametrize("offer,expect", [(["h2", "http/1.1"], "http/1.1"), (["h2"], None),
                                          (["http/1.1"], "http/1.1")])
def test_tls_alpn_offers_http11_only(tls_gateway, offer, expect):
    ctx = ssl.create_default_context(cafile=tls_gateway.cert)
    ctx.set_alpn_protocols(offer)
    with ctx.wrap_socket(connect(tls_gateway.port), server_hostname="127.0.0.1") as s:
        assert s.selected_alpn_protocol() == expect
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, _, body = read_response(s)
        assert status == 200 and body == b"ok\n"


def test_tls_framing_guard_applies(tls_gateway):
    ctx = ssl.create_default_context(cafile=tls_gateway.cert)
    with ctx.wrap_socket(connect(tls_gateway.port), server_hostname="127.0.0.1") as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
                  b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        raw, closed = read_until_close(s)
    assert statuses(raw) == [400] and closed


# ---- slowloris ---------------------------------------------------------------------------

def test_slowloris_is_closed_and_server_keeps_serving():
    g = Gateway([], extra={"server": {"request_timeout_ms": "1000"}})
    try:
        s = connect(g.port)
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 1000 + b"\r\n\r\n"
        start, deadline, sent, closed, got = time.time(), time.time() + 20, 0, False, b""
        while time.time() < deadline and sent < len(head):
            try:
                s.sendall(head[sent:sent + 1])
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            sent += 1
            # pace: one byte per 50 ms, and notice the close at once
            r, _, _ = select.select([s], [], [], 0.05)
            if r:
                data = s.recv(4096)
                got += data
                if not data:
                    closed = True
                    break
        s.close()
        assert closed, "a client sending a byte every 50 ms was never closed"
        assert sent < len(head) and b"HTTP/1.1" not in got
        assert time.time() - start >= 0.9  # by the request timeout, not for another reason
        assert requests.get(g.url + "/healthz", timeout=5).status_code == 200
    finally:
        assert g.stop() == 0


# ---- the connection cap ------------------------------------------------------------------

def test_max_connections_closes_the_one_past_the_cap():
    g = Gateway([], extra={"server": {"max_connections": "5"}})
    conns = []
    try:
        for _ in range(5):
            s = connect(g.port)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(s)[0] == 200
            conns.append(s)
        extra = connect(g.port)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        raw, closed = read_until_close(extra)
        extra.close()
        assert raw == b"" and closed, raw
        for s in conns:  # the ones before keep working
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(s)[0] == 200
        conns.pop().close()
        deadline, ok = time.time() + 10, False
        while time.time() < deadline and not ok:  # the server notices the close asynchronously
            s = connect(g.port)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            ok = statuses(read_until_close(s)[0]) == [200]
            s.close()
            if not ok:
                time.sleep(0.05)
        assert ok, "a slot freed by a closed connection was never reused"
        assert "max_connections" in g.logs()
    finally:
        for s in conns:
            s.close()
        assert g.stop() == 0


# ---- the descriptor limit ----------------------------------------------------------------

FD_LIMIT = 64  # maxgated uses ~26 descriptors idle with 2 loop threads


class LimitedGateway(Gateway):
    """maxgated under RLIMIT_NOFILE = FD_LIMIT."""

    def start(self):
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.proc = subprocess.Popen(
            [os.path.join(harness.BIN, "maxgated"), "--config", self.config, "serve"], stdout=subprocess.PIPE,
            stderr=open(self.stderr_path, "a"), text=True, env=self.env,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT)))
        harness._started.append(self.proc)
        self.port = int(harness._wait_line(self.proc, r"maxgated listening on \w+://[0-9.]+:(\d+)").group(1))


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def limit_lines(g):
    return len(re.findall(r"accept: descriptor limit", g.logs()))


def test_descriptor_limit_pauses_accepting_without_spinning():
    g = LimitedGateway([], extra={"server": {"threads": "2"}}, start=True)
    socks = []
    try:
        # more connections than descriptors: the kernel queues them, accept fails
        for _ in range(FD_LIMIT + 20):
            s = connect(g.port)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            socks.append(s)
        wait_for(lambda: limit_lines(g) >= 1, what="the descriptor limit log line")

        def answered():
            r, _, _ = select.select(socks, [], [], 0)
            return set(r)
        wait_for(lambda: len(answered()) >= FD_LIMIT - 40, what="answers on the accepted connections")
        served = answered()
        waiting = [s for s in socks if s not in served]
        assert waiting, "every connection was accepted: the limit did not bite"

        # no spinning: two loop threads stuck on EMFILE used ~1.4 cores before the fix
        cpu0, t0 = cpu_seconds(g.proc.pid), time.time()
        time.sleep(1.0)  # the measurement window itself
        cpu, wall = cpu_seconds(g.proc.pid) - cpu0, time.time() - t0
        assert cpu < 0.3 * wall, "maxgated used %.2f s CPU in %.2f s at the descriptor limit" % (cpu, wall)

        # connections already open are still served
        s = next(iter(served))
        assert read_response(s)[0] == 200
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s)[0] == 200

        # free descriptors: the queued connections are accepted and answered
        for s in list(served):
            s.close()
            socks.remove(s)
        pending, deadline = set(waiting), time.time() + 15
        while pending and time.time() < deadline:  # in any order: each answered one is closed
            for s in select.select(list(pending), [], [], 0.1)[0]:
                assert read_response(s)[0] == 200
                s.close()
                pending.discard(s)
                socks.remove(s)
        assert not pending, "%d queued connections were never served" % len(pending)
        r = requests.get(g.url + "/healthz", timeout=10)
        assert r.status_code == 200
        assert 1 <= limit_lines(g) <= 3, g.logs()
    finally:
        for s in socks:
            s.close()
        assert g.stop() == 0
