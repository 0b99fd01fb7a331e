"""`maxgate usage`, `maxgate usage --log`, `maxgate usage --tasks` and `maxgate billing summary`
(issue 12) against the real maxgated with a maxgate-sim channel: the numbers
are the platform API's (the JSON is its answer as it came), the text is a
table a person reads, and bad flags are usage errors (exit 2) that never
reach the server."""
import json
import os
import subprocess
import tempfile

import pytest
import requests

from harness import BIN, SAN_ENV, Sim, wait_for
from pfclient import API, Platform, new_email, pw, skip_unless_platform

skip_unless_platform()

SIM_KEY = "upstream-key-usage"


@pytest.fixture(scope="module")
def env():
    sim = Sim("global", keys=[SIM_KEY], tls=False)
    pf = None
    try:
        pf = Platform(accounts={"signup_mode": "open"},
                      channels=[("sim", "global", sim.url, "MG_SIM_KEY", 1)], env={"MG_SIM_KEY": SIM_KEY})
        yield pf
    finally:
        if pf is not None:
            pf.stop()
        sim.stop()


def cli(home, base, *args):
    e = {**os.environ, **SAN_ENV, "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "cfg")}
    for k in ("MAXGATE_API_KEY", "MAXGATE_BASE_URL", "MAXGATE_PROFILE"):
        e.pop(k, None)
    e["MAXGATE_BASE_URL"] = base
    return subprocess.run([os.path.join(BIN, "maxgate"), *args], capture_output=True, text=True, env=e, cwd=home,
                          timeout=60)


@pytest.fixture(scope="module")
def used(env):
    """A CLI home signed in as an account with two billed chats and an image."""
    email, password = new_email("cliu"), pw()
    env.create_account(email, password)
    s = env.login(email, password)
    home = tempfile.mkdtemp(prefix="mgcli.")
    r = subprocess.run([os.path.join(BIN, "maxgate"), "account", "login", "--email", email, "--password-stdin",
                        "--output", "json"], input=password + "\n", capture_output=True, text=True, timeout=60,
                       env={**os.environ, **SAN_ENV, "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "cfg"),
                            "MAXGATE_BASE_URL": env.url})
    assert r.returncode == 0, r.stderr
    k = s.post(API + "/keys", {"name": "cli-usage"})
    assert k.status_code == 201, k.text
    key = k.json()["key"]
    env.remember(key)
    rids = []
    for path, body in (("/v1/chat/completions", {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hi"}]}),
                       ("/v1/chat/completions", {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "yo"}]}),
                       ("/v1/image_generation", {"model": "image-01", "prompt": "cat", "n": 1})):
        r = requests.post(env.url + path, headers={"authorization": "Bearer " + key}, json=body, timeout=30)
        assert r.status_code == 200, r.text
        rids.append(r.headers["x-request-id"])
    wait_for(lambda: len(s.get(API + "/usage/log").json()["events"]) == 3, what="the three usage events")
    return {"home": home, "s": s, "key": key, "key_id": k.json()["id"], "rids": rids}


def test_summary_json_is_the_api_answer(env, used):
    r = cli(used["home"], env.url, "billing", "summary", "--output", "json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    api = used["s"].get(API + "/billing/summary").json()
    assert got["month_to_date_micros"] == api["month_to_date_micros"] > 0
    assert {x["service"] for x in got["by_service"]} == {"chat", "image"}


def test_summary_text(env, used):
    r = cli(used["home"], env.url, "billing", "summary", "--output", "text")
    assert r.returncode == 0, r.stderr
    api = used["s"].get(API + "/billing/summary").json()
    assert "month to date   %s USD" % api["month_to_date"] in r.stdout
    assert "projected" in r.stdout and api["projection"]["how"] in r.stdout
    assert "cap             none" in r.stdout
    assert "SERVICE" in r.stdout and "image" in r.stdout and "chat" in r.stdout


def test_usage_grouped(env, used):
    for group in ("day", "service", "key", "model"):
        r = cli(used["home"], env.url, "usage", "--group-by", group, "--output", "json")
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert got["group_by"] == group
        assert sum(x["requests"] for x in got["rows"]) == 3
    text = cli(used["home"], env.url, "usage", "--group-by", "key", "--output", "text").stdout
    assert "API KEY" in text and used["key_id"] in text and "total " in text
    text = cli(used["home"], env.url, "usage", "--output", "text").stdout
    assert "DAY (UTC)" in text
    r = cli(used["home"], env.url, "usage", "--group-by", "model", "--from", "2001-01-01T00:00:00Z",
            "--to", "2001-01-02T00:00:00Z", "--output", "text")
    assert r.returncode == 0 and "no usage in this range" in r.stdout


def test_usage_log(env, used):
    r = cli(used["home"], env.url, "usage", "--log", "--output", "json")
    assert r.returncode == 0, r.stderr
    assert [e["request_id"] for e in json.loads(r.stdout)["events"]] == list(reversed(used["rids"]))
    r = cli(used["home"], env.url, "usage", "--log", "--request-id", used["rids"][2], "--output", "text")
    assert r.returncode == 0 and used["rids"][2] in r.stdout and "image-01" in r.stdout
    assert used["rids"][0] not in r.stdout
    r = cli(used["home"], env.url, "usage", "--log", "--limit", "1", "--output", "text")
    assert "more: run again with --cursor " in r.stderr
    cursor = r.stderr.split("--cursor ")[1].split()[0]
    r2 = cli(used["home"], env.url, "usage", "--log", "--limit", "1", "--cursor", cursor, "--output", "json")
    assert [e["request_id"] for e in json.loads(r2.stdout)["events"]] == [used["rids"][1]]


def test_usage_log_shows_latency(env, used):
    text = cli(used["home"], env.url, "usage", "--log", "--output", "text").stdout
    header = text.splitlines()[0]
    assert "LATENCY" in header and header.index("LATENCY") < header.index("COST")
    events = used["s"].get(API + "/usage/log").json()["events"]
    for e in events:
        ms = e["latency_ms"]
        shown = "%d ms" % ms if ms < 1000 else "%d.%d s" % (ms // 1000, ms % 1000 // 100)
        assert shown in text
    got = json.loads(cli(used["home"], env.url, "usage", "--log", "--output", "json").stdout)
    assert [e["latency_ms"] for e in got["events"]] == [e["latency_ms"] for e in events]


def test_usage_tasks(env, used):
    r = requests.post(env.url + "/v1/video_generation", headers={"authorization": "Bearer " + used["key"]},
                      json={"model": "MiniMax-Hailuo-2.3", "prompt": "a cat"}, timeout=30)
    assert r.status_code == 200, r.text
    task = r.json()["task_id"]
    r = cli(used["home"], env.url, "usage", "--tasks", "--output", "json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got == used["s"].get(API + "/usage/tasks").json()
    assert [t["task_id"] for t in got["tasks"]] == [task] and got["tasks"][0]["state"] == "submitted"
    r = cli(used["home"], env.url, "usage", "--tasks", "--kind", "video", "--output", "text")
    assert r.returncode == 0, r.stderr
    assert "STATE" in r.stdout and task in r.stdout and "submitted" in r.stdout and used["key_id"] in r.stdout
    r = cli(used["home"], env.url, "usage", "--tasks", "--kind", "speech", "--output", "text")
    assert r.returncode == 0 and "no video or speech tasks" in r.stdout
    r = cli(used["home"], env.url, "usage", "--tasks", "--kind", "file")
    assert r.returncode == 2 and "video or speech" in r.stderr
    r = cli(used["home"], env.url, "usage", "--tasks", "--log")
    assert r.returncode == 2
    r = cli(used["home"], env.url, "usage", "--tasks", "--model", "x")
    assert r.returncode == 2


def test_bad_flags(env, used):
    r = cli(used["home"], env.url, "usage", "--group-by", "week")
    assert r.returncode == 2 and "day, service, key or model" in r.stderr
    r = cli(used["home"], env.url, "usage", "--log", "--group-by", "day")
    assert r.returncode == 2
    r = cli(used["home"], env.url, "usage", "--from", "yesterday", "--output", "text")
    assert r.returncode == 1 and "from" in r.stderr  # the server names the field
    r = cli(used["home"], env.url, "billing", "summary", "--bogus")
    assert r.returncode == 2


def test_needs_a_session(env):
    home = tempfile.mkdtemp(prefix="mgcli.")
    r = cli(home, env.url, "billing", "summary")
    assert r.returncode == 3 and "account login" in r.stderr
