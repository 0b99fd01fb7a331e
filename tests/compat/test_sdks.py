"""The official openai and @anthropic-ai/sdk clients, unchanged, against
maxgated (CLIENTS.md sections 2 and 3)."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Gateway, Sim  # noqa: E402

UP = "compat-upstream-key"


@pytest.fixture(scope="module")
def env():
    sim = Sim("global", keys=[UP])
    gw = Gateway([("sim", "global", sim.url, "UPK", 1)], env={"UPK": UP})
    gw.create_user("sdk@example.com")
    key = gw.create_key("sdk@example.com")
    yield sim, gw, key
    gw.stop()
    sim.stop()


def run(client, scenario, gw, key, model="MiniMax-M2.7"):
    r = subprocess.run(["node", os.path.join(HERE, "sdk.mjs"), client, scenario, gw.url, key, model],
                       capture_output=True, text=True, timeout=60, cwd=HERE)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_openai_chat_and_stream(env):
    sim, gw, key = env
    r = run("openai", "chat", gw, key)
    assert r["ok"] and r["text"].startswith("Hello") and r["usage"]["completion_tokens"] == 8
    r = run("openai", "stream", gw, key)
    assert r["ok"] and r["text"].startswith("Hello") and r["chunks"] >= 9
    assert r["usage"]["completion_tokens"] == 8
    assert sim.requests()[-1]["headers"]["authorization"] == "Bearer " + UP


def test_openai_typed_errors(env):
    sim, gw, key = env
    r = run("openai", "chat", gw, "mgk_gl_" + "A" * 50)
    assert not r["ok"] and r["error"] == "AuthenticationError" and r["status"] == 401
    assert "Malformed" in r["message"]
    r = run("openai", "chat", gw, key, model="sim-429")
    assert r["error"] == "RateLimitError"
    r = run("openai", "chat", gw, key, model="sim-500")
    assert r["error"] == "InternalServerError"


@pytest.mark.parametrize("client,header", [("anthropic", "authorization"), ("anthropic-old", "x-api-key")])
def test_anthropic_both_auth_styles(env, client, header):
    sim, gw, key = env
    sim.reset()
    r = run(client, "chat", gw, key)
    assert r["ok"] and r["text"].startswith("Hello") and r["usage"]["output_tokens"] == 8
    r = run(client, "stream", gw, key)
    assert r["ok"] and r["events"][0] == "message_start" and r["events"][-1] == "message_stop"
    r = run(client, "stream-helper", gw, key)
    assert r["ok"] and r["text"].startswith("Hello")
    for q in sim.requests():
        assert q["headers"]["authorization"] == "Bearer " + UP and "x-api-key" not in q["headers"]


@pytest.mark.parametrize("client", ["anthropic", "anthropic-old"])
def test_anthropic_typed_errors(env, client):
    sim, gw, key = env
    r = run(client, "chat", gw, "mgk_gl_" + "A" * 50)
    assert r["error"] == "AuthenticationError" and r["status"] == 401
    r = run(client, "chat", gw, key, model="sim-429")
    assert r["error"] == "RateLimitError"
    r = run(client, "stream", gw, key, model="sim-drop")
    assert not r["ok"]  # the mid-stream error event surfaces as an SDK error
