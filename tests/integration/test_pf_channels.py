"""Issue 12: the upstream channels through the platform's admin API (GW-7) —
the list (config and database channels with their live state, never a
key), adding a database channel (its key sealed with the server secret: in
no answer, log or file of the server in plaintext; it runs at once, and
after a restart), switching a channel off and on live (requests go to the other
channel, or 503 no_channel when none is left), editing and removing (a
config channel answers 409), the test request (status and latency against
the simulator, a clear error against a dead port or a refused key), the
ceiling of channels, 403 for a non-admin and 400 naming the field."""
import os

import pytest

from harness import Sim, chat, refused_port, wait_for
from pfclient import API, Platform, err, fresh_ips, new_email, pw, skip_unless_platform

skip_unless_platform()

UP_A, UP_B = "upstream-chan-key-aaaa", "upstream-chan-key-bbbb"
DB_KEY = "upstream-chan-db-secret-0123456789"


@pytest.fixture(scope="module")
def sims():
    a, b = Sim("global", keys=[UP_A], tls=False), Sim("global", keys=[UP_B, DB_KEY], tls=False)
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture(scope="module")
def pf(sims):
    a, b = sims
    p = Platform(accounts={"signup_mode": "open", "reauth_minutes": "10"},
                 channels=[("a", "global", a.url, "UP_A", 1), ("b", "global", b.url, "UP_B", 1)],
                 env={"UP_A": UP_A, "UP_B": UP_B})
    p.remember(DB_KEY)  # Platform.stop(): in no log
    yield p
    p.stop()
    blobs = []
    for root, _, files in os.walk(p.gw.dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                blobs.append((f, fh.read()))
    assert any(n.endswith(".db") for n, _ in blobs)
    leaked = [n for n, b in blobs if DB_KEY.encode() in b]
    assert not leaked, "the database channel's key is in plaintext in %s" % leaked


@pytest.fixture(autouse=True)
def own_ip(request):
    fresh_ips(request, "pf")


@pytest.fixture(scope="module")
def api_key(pf):
    email = new_email("chan")
    pf.gw.create_user(email)
    return pf.gw.create_key(email)


def channels(s):
    r = s.get(API + "/admin/channels")
    assert r.status_code == 200, r.text
    assert DB_KEY not in r.text and UP_A not in r.text and UP_B not in r.text
    return {c["name"]: c for c in r.json()["channels"]}


def served_by(sim):
    return len([q for q in sim.requests() if q.get("path", "").endswith("/chat/completions")])


def add(s, **body):
    body = {"name": "dbc", "region": "global", "key": DB_KEY, **body}
    r = s.post(API + "/admin/channels", body)
    assert DB_KEY not in r.text
    return r


def test_list_shows_config_channels(pf, sims):
    got = channels(pf.admin())
    a = got["a"]
    assert a["source"] == "config" and a["region"] == "global" and a["base_url"] == sims[0].url
    assert a["weight"] == 1 and a["models"] == [] and a["enabled"] is True
    assert a["key"] == "key stored" and a["key_source"] == "env"
    assert a["state"]["running"] is True and a["state"]["cooling_down_until"] is None
    assert a["state"]["failures"] == 0


def test_add_database_channel_key_never_shown(pf, sims):
    s = pf.admin()
    r = add(s, base_url=sims[1].url, weight=3, models=["MiniMax-M2.7"])
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["applies_at"] == "now"
    c = doc["channel"]
    assert c["source"] == "database" and c["key"] == "stored encrypted" and c["key_source"] == "database"
    assert c["weight"] == 3 and c["models"] == ["MiniMax-M2.7"]
    assert c["state"]["running"] is True and c["state"]["cooling_down_until"] is None and c["enabled"] is True
    assert "dbc" in channels(s)
    assert err(add(s, base_url=sims[1].url))[:3] == (409, "conflict", "name")
    assert err(add(s, name="a", base_url=sims[1].url))[:3] == (409, "conflict", "name")
    # audited, without the key
    ev = [e for e in pf.audit(type="channel.added") if "dbc" in str(e)]
    assert ev and DB_KEY not in str(ev)
    # its test works (the key is opened from the database)
    r = s.post(API + "/admin/channels/dbc/test")
    assert r.status_code == 200 and r.json()["status"] == 200, r.text
    assert DB_KEY not in r.text


def test_test_button(pf, sims):
    s = pf.admin()
    r = s.post(API + "/admin/channels/a/test")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["status"] == 200 and doc["ok"] is True and doc["latency_ms"] >= 0
    assert doc["summary"] == "2 models" and "error" not in doc
    assert "MiniMax-M3" not in r.text  # the upstream's body is not echoed
    # a dead port: no status, a clear error
    assert add(s, name="dead", base_url="http://127.0.0.1:%d" % refused_port()).status_code == 201
    doc = s.post(API + "/admin/channels/dead/test").json()
    assert doc["status"] is None and doc["ok"] is False
    assert doc["error"]["code"] == "upstream_connect" and doc["error"]["message"]
    # a key the upstream refuses
    assert add(s, name="wrongkey", key="not-the-right-key-123", base_url=sims[0].url).status_code == 201
    doc = s.post(API + "/admin/channels/wrongkey/test").json()
    assert doc["status"] == 401 and doc["ok"] is False and doc["error"]["code"] == "upstream_key_refused"
    assert "not-the-right-key-123" not in str(doc)
    assert err(s.post(API + "/admin/channels/nope/test"))[:2] == (404, "resource_not_found")
    for n in ("dead", "wrongkey"):
        assert s.delete(API + "/admin/channels/" + n).status_code == 204


def test_disable_live_then_enable(pf, sims, api_key):
    s, (a, b) = pf.admin(), sims
    r = s.patch(API + "/admin/channels/a", {"enabled": False})
    assert r.status_code == 200, r.text
    assert r.json()["applies_at"] == "now" and r.json()["channel"]["enabled"] is False
    try:
        before_a = served_by(a)
        for _ in range(6):
            assert chat(pf.gw, api_key).status_code == 200
        assert served_by(a) == before_a, "a disabled channel got requests"
        assert channels(s)["a"]["enabled"] is False
        # the last ones off (the database channel added earlier runs too): 503 no_channel
        assert s.patch(API + "/admin/channels/b", {"enabled": False}).status_code == 200
        if "dbc" in channels(s):
            assert s.patch(API + "/admin/channels/dbc", {"enabled": False}).status_code == 200
        r = chat(pf.gw, api_key)
        assert r.status_code == 503, r.text
        assert "No healthy upstream channel" in r.text  # NO_CHANNEL
    finally:
        assert s.patch(API + "/admin/channels/a", {"enabled": True}).status_code == 200
        assert s.patch(API + "/admin/channels/b", {"enabled": True}).status_code == 200
        if "dbc" in channels(s):
            assert s.patch(API + "/admin/channels/dbc", {"enabled": True}).status_code == 200
    before_a = served_by(a)
    wait_for(lambda: chat(pf.gw, api_key).status_code == 200 and served_by(a) > before_a or None, 30,
             "channel a to take requests again")
    assert [e for e in pf.audit(type="channel.updated") if "disabled" in str(e)]


def test_cool_down_state(pf, api_key):
    """A channel that failed shows when its rest ends and how often it failed; the test clock ends the rest."""
    s = pf.admin()
    r = chat(pf.gw, api_key, body={"model": "sim-500", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 500, r.text  # the first channel's 500, retried once on the other: both rest
    got = channels(s)
    for n in ("a", "b"):
        st = got[n]["state"]
        assert st["cooling_down_until"] is not None and st["failures"] >= 1 and st["last_failure_at"], got[n]
    pf.advance(61 * 1000)  # [upstream] cooldown_ms = 60000 in the harness
    got = channels(pf.admin())
    assert got["a"]["state"]["cooling_down_until"] is None and got["b"]["state"]["cooling_down_until"] is None
    assert chat(pf.gw, api_key).status_code == 200


def test_config_channel_is_edited_in_the_config(pf):
    s = pf.admin()
    assert err(s.delete(API + "/admin/channels/a"))[:2] == (409, "conflict")
    assert err(s.patch(API + "/admin/channels/a", {"weight": 5}))[:3] == (409, "conflict", "weight")
    assert err(s.delete(API + "/admin/channels/nope"))[:2] == (404, "resource_not_found")


def test_edit_and_restart(pf, sims, api_key):
    s = pf.admin()
    if "dbc" not in channels(s):
        assert add(s, base_url=sims[1].url).status_code == 201
    r = s.patch(API + "/admin/channels/dbc", {"weight": 7, "models": []})
    assert r.status_code == 200 and r.json()["applies_at"] == "now", r.text
    assert r.json()["channel"]["weight"] == 7 and r.json()["channel"]["state"]["running"] is True
    # stored too: after a restart it runs as edited
    pf.gw.stop()
    pf.gw.start()
    s = pf.admin_login()
    c = channels(s)["dbc"]
    assert c["state"]["running"] is True and c["enabled"] is True and c["weight"] == 7
    # live off and stored: after a restart it is still off
    r = s.patch(API + "/admin/channels/dbc", {"enabled": False})
    assert r.json()["applies_at"] == "now"
    pf.gw.stop()
    pf.gw.start()
    s = pf.admin_login()
    c = channels(s)["dbc"]
    assert c["state"]["running"] is True and c["enabled"] is False
    assert s.patch(API + "/admin/channels/dbc", {"enabled": True}).json()["channel"]["enabled"] is True
    assert chat(pf.gw, api_key).status_code == 200
    # removed: it takes no request from now on, and is gone from the list
    assert s.delete(API + "/admin/channels/dbc").status_code == 204
    assert "dbc" not in channels(s)


def test_bad_input_names_the_field(pf, sims):
    s = pf.admin()
    url = sims[1].url
    cases = [
        ({"name": "bad name", "base_url": url}, "name"),
        ({"region": "mars", "base_url": url}, "region"),
        ({"base_url": "ftp://example.com"}, "base_url"),
        ({"base_url": "https://user:pw@example.com"}, "base_url"),
        ({}, "base_url"),
        ({"base_url": url, "key": "short"}, "key"),
        ({"base_url": url, "key": "has a space in it"}, "key"),
        ({"base_url": url, "weight": 0}, "weight"),
        ({"base_url": url, "weight": "3"}, "weight"),
        ({"base_url": url, "models": ["a b"]}, "models"),
        ({"base_url": url, "models": "MiniMax-M2.7"}, "models"),
    ]
    for body, field in cases:
        r = add(s, name=body.pop("name", "bad"), **body)
        assert err(r)[0] == 400 and err(r)[2] == field, (body, r.text)
    r = s.post(API + "/admin/channels", {"name": "nokey", "region": "global", "base_url": url})
    assert err(r)[0] == 400 and err(r)[2] == "key", r.text
    assert err(s.patch(API + "/admin/channels/a", {"enabled": "no"}))[:3] == (400, "field_invalid", "enabled")
    assert err(s.patch(API + "/admin/channels/a", {}))[0] == 400
    assert "bad" not in channels(s)


def test_non_admin_gets_403(pf):
    _, _, s = pf.user("plain")
    for method, path, body in [("GET", "/admin/channels", None),
                               ("POST", "/admin/channels", {"name": "x", "region": "global", "key": DB_KEY,
                                                            "base_url": "http://127.0.0.1:1"}),
                               ("PATCH", "/admin/channels/a", {"enabled": False}),
                               ("DELETE", "/admin/channels/a", None),
                               ("POST", "/admin/channels/a/test", None)]:
        r = s.request(method, API + path, body)
        assert err(r)[:2] == (403, "forbidden"), (method, path, r.text)
    assert channels(pf.admin())["a"]["enabled"] is True


def test_ceiling_of_channels(pf, sims):
    s = pf.admin()
    have = channels(s)
    room = s.get(API + "/admin/channels").json()["max_channels"] - len(have)
    made = []
    try:
        for i in range(room):
            r = add(s, name="fill%d" % i, base_url=sims[1].url)
            assert r.status_code == 201, r.text
            made.append("fill%d" % i)
        r = add(s, name="one-too-many", base_url=sims[1].url)
        assert err(r)[:2] == (409, "conflict") and "at most 64 channels" in r.json()["error"]["message"], r.text
    finally:
        for n in made:
            assert s.delete(API + "/admin/channels/" + n).status_code == 204
