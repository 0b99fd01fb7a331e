"""BL-1, nothing free by accident: a model without a price is refused before
it is forwarded, operators price models in the config file, model names and
max_tokens are validated, and voice clones and designs are billed."""
import os
import subprocess

import pytest
import requests

from conftest import UP_GLOBAL
from harness import BIN, Gateway, chat


def err(r):
    return r.status_code, r.json()["error"]["code"], r.json()["error"]["message"]


def body(model, **kw):
    return dict({"model": model, "messages": [{"role": "user", "content": "hello"}]}, **kw)


def assert_not_forwarded(gw, sim, r):
    """The refused request reached no upstream and left no usage event (the
    access line, written after the answer, is the later fact waited for)."""
    rid = r.headers["x-request-id"]
    gw.wait_access_line(rid)
    assert gw.usage(rid) == []
    assert sim.requests() == [], "the upstream was asked"


@pytest.fixture(scope="module")
def priced(sim_global):
    """A gateway whose operator priced an extra model and bounded its output."""
    g = Gateway([("sim", "global", sim_global.url, "UPK", 1)], env={"UPK": UP_GLOBAL},
                extra={"price.house-model": {"input_per_mtok": "2", "output_per_mtok": "4",
                                             "max_output_tokens": "100"},
                       "billing": {"ratio": "0.40"}})
    g.create_user("alice@example.com")
    yield g
    assert g.stop() == 0


@pytest.mark.parametrize("model", ["foo", "MiniMax-M2.7-evil", "house-model"])
def test_unpriced_model_is_refused_before_forwarding(gateway, key, sim_global, model):
    sim_global.reset()
    r = chat(gateway, key, body=body(model))
    status, code, msg = err(r)
    assert (status, code) == (400, "model_unpriced")
    assert "'%s'" % model in msg and "operator must price it" in msg and "[price.MODEL]" in msg
    assert_not_forwarded(gateway, sim_global, r)


def test_unpriced_on_every_family(gateway, key, sim_global):
    sim_global.reset()
    for path, b in (("/v1/text/chatcompletion_v2", body("foo")),
                    ("/anthropic/v1/messages", body("foo", max_tokens=10)),
                    ("/v1/t2a_v2", {"model": "image-01", "text": "hi"}),  # priced per image, not per character
                    ("/v1/image_generation", {"model": "MiniMax-M2.7", "prompt": "cat"}),
                    ("/v1/video_generation", {"model": "foo-video", "prompt": "cat"})):
        r = chat(gateway, key, path=path, body=b)
        assert r.status_code == 400, (path, r.text)
        assert "has no price" in r.text, (path, r.text)
        assert_not_forwarded(gateway, sim_global, r)


@pytest.mark.parametrize("model", ["a\r\nx-injected: 1", "Mini Max", 'm"x', "m'x", "m\u00e9", "m" * 65, ""])
def test_model_names_are_validated(gateway, key, sim_global, model):
    sim_global.reset()
    r = chat(gateway, key, body=body(model))
    status, code, msg = err(r)
    assert (status, code) == (400, "model_name_invalid")
    assert "letters, digits and . _ : / -" in msg and (model == "" or model not in msg)
    line = gateway.wait_access_line(r.headers["x-request-id"])[0]
    assert "model" not in line or line["model"] == ""  # never logged
    assert_not_forwarded(gateway, sim_global, r)


def test_model_name_of_64_characters_is_fine(priced):
    k = priced.create_key("alice@example.com", name="long")
    r = chat(priced, k, body=body("x" * 64))
    assert err(r)[:2] == (400, "model_unpriced")  # valid, just not priced


@pytest.mark.parametrize("value", [0, -1, "10", 1.5, True])
def test_max_tokens_must_be_a_positive_integer(gateway, key, value):
    for path in ("/v1/chat/completions", "/anthropic/v1/messages"):
        r = chat(gateway, key, path=path, body=body("MiniMax-M2.7", max_tokens=value))
        assert r.status_code == 400 and "'max_tokens' must be a whole number of at least 1" in r.text, r.text
    r = chat(gateway, key, body=body("MiniMax-M2.7", max_completion_tokens=value))
    assert r.status_code == 400 and "'max_completion_tokens' must be" in r.text


def test_max_tokens_within_the_models_limit(gateway, key, priced):
    r = chat(gateway, key, body=body("MiniMax-M2.7", max_tokens=204801))
    status, code, msg = err(r)
    assert (status, code) == (400, "field_invalid") and "204801" in msg and "limit for MiniMax-M2.7 is 204800" in msg
    assert chat(gateway, key, body=body("MiniMax-M2.7", max_tokens=204800)).status_code == 200
    r = chat(gateway, key, body=body("MiniMax-M3", max_completion_tokens=524289))
    assert err(r)[:2] == (400, "field_invalid") and "limit for MiniMax-M3 is 524288" in r.text
    k = priced.create_key("alice@example.com", name="lim")
    r = chat(priced, k, body=body("house-model", max_tokens=101))
    assert err(r)[:2] == (400, "field_invalid") and "limit for house-model is 100" in r.text
    assert chat(priced, k, body=body("house-model", max_tokens=100)).status_code == 200


def test_anthropic_requires_max_tokens(gateway, key, sim_global):
    sim_global.reset()
    r = chat(gateway, key, path="/anthropic/v1/messages", body=body("MiniMax-M2.7"))
    doc = r.json()
    assert r.status_code == 400 and doc["error"]["type"] == "invalid_request_error"
    assert "'max_tokens' is required" in doc["error"]["message"]
    assert_not_forwarded(gateway, sim_global, r)


def test_operator_priced_model_is_served_and_billed(priced):
    """[price.house-model] prices a model the built-in table does not know,
    in the config's units (per million tokens), times the ratio."""
    k = priced.create_key("alice@example.com", name="house")
    r = chat(priced, k, body=body("house-model"), headers={"x-sim-tokens": "1000"})
    assert r.status_code == 200, r.text
    row = priced.wait_usage(r.headers["x-request-id"])[0]
    assert row["model"] == "house-model" and row["output_tokens"] == 1000
    # (input x 2 + output x 4) per million tokens, x 0.40, in micro-units, rounded once half up
    expect = (row["input_tokens"] * 2_000_000 + 1000 * 4_000_000) * 400_000
    assert row["cost_micros"] == (expect + 500_000_000_000) // 1_000_000_000_000 > 0


def test_voice_clone_and_design_are_billed(gateway, key):
    up = requests.post(gateway.url + "/v1/files/upload", files={"file": ("v.wav", b"RIFF voice", "audio/wav")},
                       data={"purpose": "voice_clone"}, headers={"authorization": "Bearer " + key}, timeout=10)
    fid = up.json()["file"]["file_id"]  # the clone's source must be the caller's own upload (GW-6)
    r = chat(gateway, key, path="/v1/voice_clone", body={"file_id": fid, "voice_id": "PricedVoice01"})
    assert r.status_code == 200, r.text
    row = gateway.wait_usage(r.headers["x-request-id"])[0]
    assert row["model"] == "voice_clone" and row["voices"] == 1 and row["cost_micros"] == 1386000
    # a model named in the clone request (for its demo audio) does not change what the voice costs
    r = chat(gateway, key, path="/v1/voice_clone",
             body={"file_id": fid, "voice_id": "PricedVoice02", "model": "speech-2.8-hd", "text": "hi"})
    assert r.status_code == 200, r.text
    assert gateway.wait_usage(r.headers["x-request-id"])[0]["cost_micros"] == 1386000
    r = chat(gateway, key, path="/v1/voice_design", body={"prompt": "a calm voice", "preview_text": "hello"})
    assert r.status_code == 200, r.text
    row = gateway.wait_usage(r.headers["x-request-id"])[0]
    assert row["model"] == "voice_design" and row["cost_micros"] == 1386000


def test_bad_price_config_is_refused_at_start(tmp_path):
    cfg = tmp_path / "maxgate.ini"
    cfg.write_text("[price.foo]\ninput_per_mtok = 1e-3\n")
    r = subprocess.run([os.path.join(BIN, "maxgated"), "--config", str(cfg), "serve"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0 and "maxgate.ini:2: [price.foo] input_per_mtok must be an amount like 0.30" in r.stderr
