"""GW-2, GW-3, KY-1, KY-2: every key failure has its own error, status and
message; keys are never stored or logged in the clear."""
import re
import time

import requests

from harness import Gateway, chat, wait_for


def openai_err(r):
    return r.status_code, r.json()["error"]["code"]


def test_key_format_and_shown_once(gateway):
    key = gateway.create_key("alice@example.com", name="fmt")
    assert re.fullmatch(r"mgk_(gl|cn)_[0-9A-Za-z]{50}", key)
    listing = gateway.admin("key", "list", "--json").stdout
    assert key not in listing and key[19:51] not in listing
    db = open(gateway.dir + "/maxgate.db", "rb").read()
    assert key.encode() not in db and key[19:51].encode() not in db
    for suffix in ("-wal",):
        try:
            assert key.encode() not in open(gateway.dir + "/maxgate.db" + suffix, "rb").read()
        except FileNotFoundError:
            pass


def test_missing_malformed_and_mutated_keys(gateway, key):
    r = requests.post(gateway.url + "/v1/chat/completions", json={"model": "m"}, timeout=10)
    assert openai_err(r) == (401, "key_missing")
    mutated = key[:30] + ("A" if key[30] != "A" else "B") + key[31:]
    r = chat(gateway, mutated)
    assert openai_err(r) == (401, "key_malformed")
    r = chat(gateway, "sk-api-0123456789")
    assert openai_err(r) == (401, "key_malformed")
    assert "Malformed" in r.json()["error"]["message"]


def test_key_in_query_string_is_rejected(gateway, key):
    r = requests.post(gateway.url + "/v1/chat/completions?api_key=" + key, json={"model": "m"}, timeout=10)
    assert openai_err(r) == (400, "key_in_query")
    r = requests.post(gateway.url + "/v1/chat/completions?x=" + key, json={"model": "m"},
                      headers={"authorization": "Bearer " + key}, timeout=10)
    assert openai_err(r) == (400, "key_in_query")
    gateway.wait_access_line(r.headers["x-request-id"])  # this request's log lines are written
    assert key not in gateway.logs()


def test_unknown_key(gateway):
    other = Gateway([], start=False)  # a key this server never issued, well-formed
    other.create_user("x@example.com")
    foreign = other.create_key("x@example.com")
    r = chat(gateway, foreign)
    assert openai_err(r) == (401, "key_unknown")


def test_revoked_key_stops_within_a_second(gateway):
    k = gateway.create_key("alice@example.com", name="to-revoke")
    assert chat(gateway, k).status_code == 200
    gateway.admin("key", "revoke", "--id", k[7:19])
    gateway.wait_key_state(k, lambda code: code == "KEY_REVOKED", timeout=1.5)
    assert openai_err(chat(gateway, k)) == (401, "key_revoked")


def test_expired_key(gateway):
    """The key is made by an admin whose clock (MG_FAKE_NOW_MS) is two hours
    behind, with a one-hour lifetime: it is an hour past expiry for the server."""
    past = str(int((time.time() - 7200) * 1000))
    k = gateway.create_key("alice@example.com", name="short", extra=("--expires-in", "3600"),
                           env={"MG_FAKE_NOW_MS": past})
    assert gateway.key_error(k) == "KEY_EXPIRED"
    r = chat(gateway, k)
    assert openai_err(r) == (401, "key_expired")
    fresh = gateway.create_key("alice@example.com", name="long", extra=("--expires-in", "3600"))
    assert chat(gateway, fresh).status_code == 200


def test_wrong_region_names_region_and_base_url(gateway):
    """Seed 002: a cn key against a global-only base URL."""
    k = gateway.create_key("alice@example.com", region="cn", name="cn")
    r = chat(gateway, k)
    assert openai_err(r) == (401, "key_wrong_region")
    msg = r.json()["error"]["message"]
    assert "region cn" in msg and "https://cn.gateway.test" in msg
    r = chat(gateway, k, path="/anthropic/v1/messages", auth="x-api-key")
    assert r.status_code == 401 and "region cn" in r.json()["error"]["message"]


def test_scope(gateway):
    k = gateway.create_key("alice@example.com", scopes="speech", name="speech-only")
    r = chat(gateway, k)
    assert openai_err(r) == (403, "key_scope")
    assert "'chat'" in r.json()["error"]["message"]
    r = chat(gateway, k, path="/v1/t2a_v2", body={"model": "speech-2.8-hd", "text": "hi"})
    assert r.status_code == 200


def test_model_allowlist(gateway):
    k = gateway.create_key("alice@example.com", name="m", extra=("--models", "MiniMax-M2.5"))
    r = chat(gateway, k)
    assert openai_err(r) == (403, "model_not_allowed")
    r = chat(gateway, k, body={"model": "MiniMax-M2.5", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 200


def test_suspended_account(gateway):
    gateway.create_user("carol@example.com")
    k = gateway.create_key("carol@example.com")
    assert chat(gateway, k).status_code == 200
    gateway.admin("user", "suspend", "--email", "carol@example.com")
    gateway.wait_key_state(k, lambda code: code == "ACCOUNT_SUSPENDED")
    assert openai_err(chat(gateway, k)) == (403, "account_suspended")
    gateway.admin("user", "unsuspend", "--email", "carol@example.com")
    gateway.wait_key_state(k, lambda code: code is None)
    assert chat(gateway, k).status_code == 200


def test_cap_reached(gateway):
    gateway.create_user("dave@example.com")
    k = gateway.create_key("dave@example.com")
    gateway.admin("user", "set-cap", "--email", "dave@example.com", "--cap", "0.000001")

    def balance():  # the cap reaches the key cache within its 250 ms poll
        q = requests.get(gateway.url + "/account/query_balance", headers={"authorization": "Bearer " + k}, timeout=5)
        return q.json()["maxgate"] if q.json()["maxgate"]["has_cap"] else None
    assert wait_for(balance, what="the cap to reach the key cache")["cap"] == "0.000001"
    # BL-3: the worst case is reserved first, and it is more than one micro: refused before forwarding
    r = chat(gateway, k)
    assert openai_err(r) == (429, "cap_reached")
    assert int(r.headers["retry-after"]) > 1  # seconds to the period's reset, not "retry now"
    assert "Spending cap reached" in r.json()["error"]["message"]
    r = chat(gateway, k, path="/v1/text/chatcompletion_v2")
    assert r.status_code == 429 and r.json()["base_resp"]["status_code"] == 1008


def test_keys_never_logged(gateway, key):
    gateway.wait_recorded(chat(gateway, key).headers["x-request-id"])
    log = gateway.logs()
    assert key not in log and key[19:51] not in log
