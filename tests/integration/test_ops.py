"""Serving: TLS, keep-alive, graceful drain on SIGTERM, refusing to start
without secrets, config errors that name the line."""
import os
import signal
import socket
import threading

import requests

from conftest import UP_GLOBAL
from harness import Gateway, chat, wait_for


def test_tls_serving_and_keepalive(sim_global):
    g = Gateway([("sim", "global", sim_global.url, "UPK", 1)], env={"UPK": UP_GLOBAL}, tls=True)
    try:
        g.create_user("t@example.com")
        k = g.create_key("t@example.com")
        s = requests.Session()  # one connection, reused (verify per call: REQUESTS_CA_BUNDLE beats Session.verify)
        for _ in range(5):
            r = s.post(g.url + "/v1/chat/completions", timeout=10, headers={"authorization": "Bearer " + k},
                       verify=g.cert,
                       json={"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "x"}]})
            assert r.status_code == 200
        assert r.headers.get("connection", "keep-alive").lower() == "keep-alive"
    finally:
        g.stop()


def test_sigterm_drains_open_streams(sim_global):
    g = Gateway([("sim", "global", sim_global.url, "UPK", 1)], env={"UPK": UP_GLOBAL})
    g.create_user("d@example.com")
    k = g.create_key("d@example.com")
    result = {}
    started = threading.Event()

    def stream():
        r = chat(g, k, stream=True, headers={"x-sim-tokens": "10", "x-sim-delay-ms": "100"})
        result["rid"] = r.headers["x-request-id"]
        chunks = r.iter_content(chunk_size=None)
        body = next(chunks)
        started.set()  # the stream is open; it lasts about a second more
        result["body"] = body + b"".join(chunks)

    t = threading.Thread(target=stream)
    t.start()
    assert started.wait(10)
    g.proc.send_signal(signal.SIGTERM)

    def refused():  # listeners close within one loop tick
        try:
            socket.create_connection(("127.0.0.1", g.port), timeout=2).close()
            return False
        except OSError:
            return True
    wait_for(refused, what="new connections to be refused while draining")
    t.join(10)
    assert g.proc.wait(10) == 0
    g.proc = None
    assert b"[DONE]" in result["body"]
    g2 = g  # the event of the drained stream was committed before exit
    rows = g2.usage(result["rid"])
    assert len(rows) == 1 and rows[0]["output_tokens"] == 10


def test_refuses_to_start_without_secrets(sim_global):
    g = Gateway([("sim", "global", sim_global.url, "UPK", 1)], env={"UPK": UP_GLOBAL}, start=False)
    os.unlink(os.path.join(g.dir, "secrets"))
    r = g.admin_run("serve", check=False)
    assert r.returncode == 1 and "maxgated init" in r.stderr
    g.admin_run("init")
    os.chmod(os.path.join(g.dir, "secrets"), 0o644)
    r = g.admin_run("serve", check=False)
    assert r.returncode == 1 and "chmod 600" in r.stderr


def test_missing_channel_key_env_is_named():
    g = Gateway([("sim", "global", "http://127.0.0.1:1", "NOT_SET_ANYWHERE", 1)], start=False)
    r = g.admin_run("serve", check=False)
    assert r.returncode == 1 and "NOT_SET_ANYWHERE" in r.stderr


def test_unknown_config_key_names_file_and_line():
    g = Gateway([], start=False)
    with open(g.config, "a") as f:
        f.write("[server]\nlisten_port = 9\n")
    r = g.admin_run("serve", check=False)
    assert r.returncode == 2 and "maxgate.ini:" in r.stderr and "listen_port" in r.stderr
