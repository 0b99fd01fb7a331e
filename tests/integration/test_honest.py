"""Honest answers: the quota answers say plainly whether there is a cap, what
is left and whether it is reached; error hints name only commands that
exist; status lines carry their reason phrase; database and journal files
are the owner's alone."""
import glob
import os
import re
import socket
import stat
import subprocess

import requests

from harness import BIN, chat, wait_for

ERR_H = os.path.join(os.path.dirname(__file__), "..", "..", "src", "core", "err.h")


def quota(gw, key, path):
    r = requests.get(gw.url + path, headers={"authorization": "Bearer " + key}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_uncapped_account_shows_no_cap_and_no_zero_remaining(gateway, key):
    for path in ("/v1/token_plan/remains", "/account/query_balance"):
        m = quota(gateway, key, path)["maxgate"]
        assert m["has_cap"] is False and m["cap"] is None and m["remaining"] is None
        assert m["cap_reached"] is False and "capped" not in m
        assert "No spending cap" in m["summary"] and re.fullmatch(r"\d+\.\d{2,6}", m["spent"])
    bal = quota(gateway, key, "/account/query_balance")
    assert bal["available_amount"] == "unlimited"
    plan = quota(gateway, key, "/v1/token_plan/remains")["model_remains"][0]
    # what mmx reads: a full bar, no "0 / 0"
    assert plan["model_name"] == "maxgate-budget" and plan["current_interval_remaining_percent"] == 100
    assert plan["current_interval_total_count"] == 0 and plan["current_interval_status"] == 3


def test_capped_account_shows_what_is_left_then_reached(gateway):
    gateway.create_user("erin@example.com")
    k = gateway.create_key("erin@example.com")
    gateway.admin("user", "set-cap", "--email", "erin@example.com", "--cap", "0.000002")
    m = wait_for(lambda: (lambda m: m if m["has_cap"] else None)(quota(gateway, k, "/account/query_balance")["maxgate"]),
                 what="the cap to reach the key cache")
    assert m["cap"] == "0.000002" and m["remaining"] == "0.000002" and m["cap_reached"] is False
    assert "0.000002 left" in m["summary"]
    assert quota(gateway, k, "/account/query_balance")["available_amount"] == "0.000002"
    # the cap holds (BL-3 reserves the worst case), so spend under a larger cap, then lower it below the spend
    gateway.admin("user", "set-cap", "--email", "erin@example.com", "--cap", "1")
    wait_for(lambda: quota(gateway, k, "/account/query_balance")["maxgate"]["cap"] == "1.00",
             what="the raised cap to reach the key cache")
    r = chat(gateway, k, headers={"x-sim-tokens": "100"})
    assert r.status_code == 200
    gateway.wait_usage(r.headers["x-request-id"])
    gateway.admin("user", "set-cap", "--email", "erin@example.com", "--cap", "0.000002")

    def reached():
        m = quota(gateway, k, "/v1/token_plan/remains")["maxgate"]
        return m if m["cap_reached"] else None
    m = wait_for(reached, what="the spend to reach the cap")
    assert m["has_cap"] is True and m["remaining"] == "0.00" and "reached" in m["summary"]
    assert m["period_end"].endswith("Z")


def test_registry_hints_name_only_commands_that_exist(tmp_path):
    text = open(ERR_H).read()
    assert "maxgate keys" not in text  # the key commands of the CLI come with the API keys issue
    commands = set(re.findall(r"'(maxgated? [a-z ]+?)'", text))
    assert "maxgated admin key create" in commands
    cfg = tmp_path / "maxgate.ini"
    cfg.write_text("[store]\ndatabase = %s\n" % (tmp_path / "x.db"))
    for c in commands:
        words = c.split()
        r = subprocess.run([os.path.join(BIN, words[0]), "--config", str(cfg), *words[1:], "--help"],
                           capture_output=True, text=True, timeout=60)
        assert "unknown command" not in r.stderr, (c, r.stderr)


def test_revoked_key_message_points_to_the_operator(gateway):
    k = gateway.create_key("alice@example.com", name="to-revoke-honest")
    gateway.admin("key", "revoke", "--id", k[7:19])
    gateway.wait_key_state(k, lambda code: code == "KEY_REVOKED")
    msg = chat(gateway, k).json()["error"]["message"]
    assert "ask your operator" in msg.lower() and "maxgated admin key create" in msg and "console" not in msg


def status_line(port, raw):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(raw)
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.split(b"\r\n", 1)[0]


def test_status_lines_carry_their_reason_phrase(gateway, key):
    assert status_line(gateway.port, b"GET /v1/nothing-here HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n") \
        == b"HTTP/1.1 404 Not Found"
    body = b'{"model":"sim-429","messages":[]}'
    line = status_line(gateway.port, b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nconnection: close\r\n"
                       b"content-type: application/json\r\nauthorization: Bearer " + key.encode() +
                       b"\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert line == b"HTTP/1.1 429 Too Many Requests"


def test_database_and_journal_files_are_0600(gateway, key):
    gateway.wait_recorded(chat(gateway, key).headers["x-request-id"])
    files = [os.path.join(gateway.dir, "maxgate.db")]
    files += [f for f in (files[0] + "-wal", files[0] + "-shm") if os.path.exists(f)]
    files += glob.glob(os.path.join(gateway.dir, "usage.journal", "*"))
    assert len(files) >= 3, files
    for f in files:
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o600, f
