"""GW-7: weighted channels, one retry before the first byte, cool-down,
timeouts, upstream TLS verification, upstream keys kept secret."""
import http.server
import os
import threading

import pytest

from conftest import UP_GLOBAL
from harness import Gateway, Sim, chat, make_cert, refused_port


class Failing(http.server.BaseHTTPRequestHandler):
    """An upstream that answers every request with 500."""
    hits = 0

    def do_POST(self):
        Failing.hits += 1
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b'{"base_resp":{"status_code":1033,"status_msg":"system error"}}'
        self.send_response(500)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def second_sim():
    s = Sim("global", keys=[UP_GLOBAL], tls=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def failing():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()


def with_gateway(channels, **kw):
    g = Gateway(channels, env={"UP_GLOBAL": UP_GLOBAL}, **kw)
    g.create_user("u@example.com")
    return g, g.create_key("u@example.com")


def test_weights_spread_traffic(sim_global, second_sim):
    g, key = with_gateway([("a", "global", sim_global.url, "UP_GLOBAL", 1),
                           ("b", "global", second_sim.url, "UP_GLOBAL", 1)])
    try:
        sim_global.reset()
        second_sim.reset()
        for _ in range(40):
            assert chat(g, key).status_code == 200
        a, b = len(sim_global.requests()), len(second_sim.requests())
        assert a + b == 40 and a >= 5 and b >= 5
    finally:
        g.stop()


def test_dead_channel_is_retried_and_cools_down(sim_global):
    dead = "http://127.0.0.1:%d" % refused_port()
    g, key = with_gateway([("dead", "global", dead, "UP_GLOBAL", 1000),
                           ("live", "global", sim_global.url, "UP_GLOBAL", 1)])
    try:
        rids = []
        for _ in range(5):
            r = chat(g, key)
            assert r.status_code == 200
            rids.append(r.headers["x-request-id"])
        g.wait_log("channel dead failed")
        g.wait_recorded(rids[-1])
        # after the first failure the dead channel rests: one failure logged, not five
        assert g.logs().count("channel dead failed") == 1
    finally:
        g.stop()


def test_500_before_first_byte_is_retried_elsewhere(sim_global, failing):
    g, key = with_gateway([("bad", "global", failing, "UP_GLOBAL", 1000),
                           ("live", "global", sim_global.url, "UP_GLOBAL", 1)])
    try:
        Failing.hits = 0
        r = chat(g, key)
        assert r.status_code == 200 and Failing.hits == 1
    finally:
        g.stop()


def test_only_failing_channel_passes_the_error_through(failing):
    g, key = with_gateway([("bad", "global", failing, "UP_GLOBAL", 1)])
    try:
        r = chat(g, key, path="/v1/text/chatcompletion_v2")
        assert r.status_code == 500 and r.json()["base_resp"]["status_code"] == 1033
        assert g.stop() == 0  # a clean stop commits everything queued
        assert not g.usage()
    finally:
        g.stop()


def test_unreachable_upstream_is_a_clear_502():
    g, key = with_gateway([("dead", "global", "http://127.0.0.1:%d" % refused_port(), "UP_GLOBAL", 1)])
    try:
        r = chat(g, key)
        assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_connect"
    finally:
        g.stop()


def test_first_byte_timeout_is_504(sim_global):
    g, key = with_gateway([("sim", "global", sim_global.url, "UP_GLOBAL", 1)],
                          extra={"upstream": {"first_byte_timeout_ms": "300"}})
    try:
        r = chat(g, key, headers={"x-sim-fault": "slow:3000"})
        assert r.status_code == 504 and r.json()["error"]["code"] == "upstream_timeout"
        assert chat(g, key).status_code == 200
    finally:
        g.stop()


def test_tls_upstream_verification(sim_global):
    url = sim_global.https_url
    # untrusted (self-signed, no CA configured)
    g, key = with_gateway([("tls", "global", url, "UP_GLOBAL", 1)])
    try:
        r = chat(g, key)
        assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_tls"
        assert "certificate" in r.json()["error"]["message"]
    finally:
        g.stop()
    # trusted through ca_file
    g, key = with_gateway([("tls", "global", url, "UP_GLOBAL", 1)], extra={"upstream": {"ca_file": sim_global.cert}})
    try:
        assert chat(g, key).status_code == 200
    finally:
        g.stop()


def test_tls_wrong_host_name_fails():
    tmp = Sim("global", keys=[UP_GLOBAL], tls=False)  # only for a temp dir
    crt, keyf = make_cert(tmp.dir, "wrong", cn="wrong.example", san="DNS:wrong.example")
    tmp.stop()
    args = [os.path.join(os.environ.get("MG_BIN_DIR", ""), "maxgate-sim")]
    sim = Sim.__new__(Sim)
    import subprocess
    from harness import BIN, SAN_ENV, _wait_line
    sim.stderr_path = os.path.join(tmp.dir, "stderr2")
    sim.proc = subprocess.Popen([os.path.join(BIN, "maxgate-sim"), "--listen", "127.0.0.1:0", "--tls-listen",
                                 "127.0.0.1:0", "--tls-cert", crt, "--tls-key", keyf, "--key", UP_GLOBAL],
                                stdout=subprocess.PIPE, stderr=open(sim.stderr_path, "w"), text=True,
                                env={**os.environ, **SAN_ENV})
    _wait_line(sim.proc, r"http://")
    https = _wait_line(sim.proc, r"(https://[0-9.]+:\d+)").group(1)
    g, key = with_gateway([("tls", "global", https, "UP_GLOBAL", 1)], extra={"upstream": {"ca_file": crt}})
    try:
        r = chat(g, key)
        assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_tls"
    finally:
        g.stop()
        sim.stop()
    del args


def test_upstream_key_never_stored_or_shown(gateway, key):
    gateway.wait_recorded(chat(gateway, key).headers["x-request-id"])
    assert UP_GLOBAL not in open(gateway.config).read()
    assert UP_GLOBAL.encode() not in open(os.path.join(gateway.dir, "maxgate.db"), "rb").read()
    assert UP_GLOBAL not in gateway.logs()
    assert UP_GLOBAL not in gateway.admin("channel", "list", "--json").stdout


def test_channel_key_stored_encrypted_via_stdin(sim_global):
    g = Gateway([], env={}, start=False)
    g.admin("channel", "add", "--name", "db", "--region", "global", "--base-url", sim_global.url, "--key-stdin",
            input=UP_GLOBAL + "\n")
    assert UP_GLOBAL.encode() not in open(os.path.join(g.dir, "maxgate.db"), "rb").read()
    assert "stored encrypted" in g.admin("channel", "list").stdout
    g.start()
    g.create_user("u@example.com")
    key = g.create_key("u@example.com")
    try:
        sim_global.reset()
        assert chat(g, key).status_code == 200
        assert sim_global.requests()[-1]["headers"]["authorization"] == "Bearer " + UP_GLOBAL
    finally:
        g.stop()


def test_config_refuses_a_plaintext_key():
    g = Gateway([], start=False)
    with open(g.config, "a") as f:
        f.write("[channel.x]\nregion = global\nbase_url = https://api.minimax.io\nkey = sk-secret\n")
    r = g.admin_run("serve", check=False)
    assert r.returncode == 2 and "never go in the config file" in r.stderr
    assert "sk-secret" not in r.stderr


def test_connect_timeout_retries_elsewhere(sim_global):
    """An https channel whose peer accepts TCP but never answers the TLS
    handshake: the connect timeout fires and the other channel serves; alone,
    it is a clear 502."""
    import socket
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    url = "https://127.0.0.1:%d" % silent.getsockname()[1]
    try:
        g, key = with_gateway([("silent", "global", url, "UP_GLOBAL", 1000),
                               ("live", "global", sim_global.url, "UP_GLOBAL", 1)],
                              extra={"upstream": {"connect_timeout_ms": "200"}})
        try:
            assert chat(g, key).status_code == 200
            g.wait_log("connect timeout")
        finally:
            g.stop()
        g, key = with_gateway([("silent", "global", url, "UP_GLOBAL", 1)],
                              extra={"upstream": {"connect_timeout_ms": "200"}})
        try:
            r = chat(g, key)
            assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_connect"
        finally:
            g.stop()
    finally:
        silent.close()
