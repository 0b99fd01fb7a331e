"""Channels change while the server runs (GW-7; docs/architecture.md "Channels"):
an admin adds a database channel and the next request can go to it; editing
its models, base URL or weight is followed by the next request; a request
already in flight when its channel is edited or removed finishes on the old
version; a removed channel takes no request; and the ceiling of channels
refuses one more with an error that names it.  Each upstream is its own
simulator, so where a request went is what that simulator saw."""
import json
import os
import sqlite3

import pytest
import requests

from harness import WAIT_S, Sim, chat, wait_for
from pfclient import API, Platform, err, fresh_ips, new_email, skip_unless_platform

skip_unless_platform()

UP_A = "upstream-live-key-aaaa"
LIVE_KEY = "upstream-live-db-secret-0123456789"


@pytest.fixture(scope="module")
def sims():
    a = Sim("global", keys=[UP_A], tls=False)
    c, d = Sim("global", keys=[LIVE_KEY], tls=False), Sim("global", keys=[LIVE_KEY], tls=False)
    yield a, c, d
    for s in (a, c, d):
        s.stop()


@pytest.fixture(scope="module")
def pf(sims):
    p = Platform(accounts={"signup_mode": "open", "reauth_minutes": "10"},
                 channels=[("a", "global", sims[0].url, "UP_A", 1)], env={"UP_A": UP_A})
    p.remember(LIVE_KEY)  # Platform.stop(): in no log
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def own_ip(request):
    fresh_ips(request, "pf")


@pytest.fixture(scope="module")
def api_key(pf):
    email = new_email("live")
    pf.gw.create_user(email)
    return pf.gw.create_key(email)


def served(sim):
    return len([q for q in sim.requests() if q.get("path", "").endswith("/chat/completions")])


def listed(s):
    r = s.get(API + "/admin/channels")
    assert r.status_code == 200 and LIVE_KEY not in r.text, r.text
    return {c["name"]: c for c in r.json()["channels"]}


def add_when_a_slot_is_free(s, body):
    """POST the channel; while the table's slots all hold old versions not yet let go of (a removal a
    moment ago: the loop threads let go within a second), it answers 409 "try again": ask again."""
    def added():
        r = s.post(API + "/admin/channels", body)
        if r.status_code == 409 and "try again" in r.text:
            return None
        return [r]  # a Response is falsy for a 4xx
    return wait_for(added, 10, "a free slot for channel " + body["name"])[0]


def ask(pf, key, model="MiniMax-M2.7", **kw):
    return chat(pf.gw, key, body={"model": model, "messages": [{"role": "user", "content": "hi"}]}, **kw)


def test_add_edit_remove_while_running(pf, sims, api_key):
    a, c, d = sims
    s = pf.admin()
    # only the config channel, switched off: no channel at all
    assert s.patch(API + "/admin/channels/a", {"enabled": False}).json()["applies_at"] == "now"
    try:
        assert ask(pf, api_key).status_code == 503
        # added: it runs at once
        r = s.post(API + "/admin/channels", {"name": "live", "region": "global", "base_url": c.url, "key": LIVE_KEY,
                                             "models": ["MiniMax-M2.7"]})
        assert r.status_code == 201 and LIVE_KEY not in r.text, r.text
        assert r.json()["applies_at"] == "now" and r.json()["channel"]["state"]["running"] is True
        before = served(c)
        assert ask(pf, api_key).status_code == 200
        assert served(c) == before + 1 and served(a) == 0
        st = listed(s)["live"]
        assert st["state"]["running"] is True and st["state"]["failures"] == 0 and st["enabled"] is True

        # its models edited: the next request follows (M2.7 finds no channel, M2.5 goes to it; with the
        # config channel off but listing any model, that is "no channel", not "unknown model")
        r = s.patch(API + "/admin/channels/live", {"models": ["MiniMax-M2.5"]})
        assert r.status_code == 200 and r.json()["applies_at"] == "now", r.text
        assert listed(s)["live"]["models"] == ["MiniMax-M2.5"]
        before = served(c)
        r = ask(pf, api_key)
        assert r.status_code == 503 and "no_channel" in r.text, r.text
        assert served(c) == before
        assert ask(pf, api_key, model="MiniMax-M2.5").status_code == 200
        assert served(c) == before + 1

        # a stream in flight while its base URL moves to d: it finishes on c; the next request goes to d
        before_c, before_d = served(c), served(d)
        hold = ask(pf, api_key, model="MiniMax-M2.5", stream=True,
                   headers={"x-sim-tokens": "6", "x-sim-delay-ms": "150"})
        assert hold.status_code == 200
        r = s.patch(API + "/admin/channels/live", {"base_url": d.url})
        assert r.status_code == 200 and r.json()["channel"]["base_url"] == d.url, r.text
        body = hold.content.decode()
        assert "[DONE]" in body and "error" not in body, body
        assert served(c) == before_c + 1 and served(d) == before_d
        assert ask(pf, api_key, model="MiniMax-M2.5").status_code == 200
        assert served(d) == before_d + 1 and served(c) == before_c + 1

        # its weight, with the config channel back on: weight 1000000 against 1 takes (nearly) everything,
        # then back to 1 the config channel gets requests again
        assert s.patch(API + "/admin/channels/live", {"models": [], "weight": 1000000}).status_code == 200
        assert s.patch(API + "/admin/channels/a", {"enabled": True}).status_code == 200
        before_a, before_d = served(a), served(d)
        for _ in range(8):
            assert ask(pf, api_key).status_code == 200
        assert served(d) - before_d >= 7 and served(a) - before_a <= 1
        assert listed(s)["live"]["weight"] == 1000000
        assert s.patch(API + "/admin/channels/live", {"weight": 1}).status_code == 200
        before_a = served(a)
        wait_for(lambda: ask(pf, api_key).status_code == 200 and served(a) > before_a or None, 30,
                 "the config channel to take requests at equal weights")
        assert s.patch(API + "/admin/channels/a", {"enabled": False}).status_code == 200

        # removed while a stream is on it: the stream finishes; then no request goes to it
        before_d = served(d)
        hold = ask(pf, api_key, stream=True, headers={"x-sim-tokens": "6", "x-sim-delay-ms": "150"})
        assert hold.status_code == 200
        assert s.delete(API + "/admin/channels/live").status_code == 204
        body = hold.content.decode()
        assert "[DONE]" in body and "error" not in body, body
        assert served(d) == before_d + 1
        assert "live" not in listed(s)
        r = ask(pf, api_key)
        assert r.status_code == 503 and "No healthy upstream channel" in r.text, r.text
        assert served(d) == before_d + 1 and served(c) == before_c + 1
        ev = [e for e in pf.audit(type="channel.updated") if "live" in str(e)]
        assert ev and LIVE_KEY not in json.dumps(ev)
    finally:
        assert s.patch(API + "/admin/channels/a", {"enabled": True}).status_code == 200
    assert ask(pf, api_key).status_code == 200


def test_readded_after_removal_and_refused_settings(pf, sims, api_key):
    """A name removed can be added again at once (a new slot); a change the gateway refuses is not stored."""
    _, c, _ = sims
    s = pf.admin()
    body = {"name": "again", "region": "global", "base_url": c.url, "key": LIVE_KEY}
    for _ in range(3):
        assert s.post(API + "/admin/channels", body).status_code == 201
        assert listed(s)["again"]["state"]["running"] is True
        assert s.delete(API + "/admin/channels/again").status_code == 204
    assert "again" not in listed(s)
    # a port h2o cannot parse passes the form check but not the gateway's: refused, and not stored
    r = s.post(API + "/admin/channels", {**body, "name": "badport", "base_url": "http://127.0.0.1:99999"})
    assert err(r)[:2] == (409, "conflict") and "base URL" in r.json()["error"]["message"], r.text
    assert "badport" not in listed(s)
    # an edit the gateway refuses leaves the stored channel and the running one as they were
    assert s.post(API + "/admin/channels", {**body, "name": "keep"}).status_code == 201
    r = s.patch(API + "/admin/channels/keep", {"base_url": "http://127.0.0.1:99999", "weight": 5})
    assert err(r)[:2] == (409, "conflict"), r.text
    kept = listed(s)["keep"]
    assert kept["base_url"] == c.url and kept["weight"] == 1 and kept["state"]["running"] is True
    assert s.delete(API + "/admin/channels/keep").status_code == 204


def test_slots_of_removed_channels_are_used_again(pf, sims, api_key):
    """More adds and removals than the table has slots (128): each removed channel's slot is freed once
    both loop threads let go of it (on their next request, or their sweep within a second), so every
    add succeeds, at once or after a short wait ("try again in a minute" is the only refusal)."""
    _, c, _ = sims
    s = pf.admin()
    body = {"region": "global", "base_url": c.url, "key": LIVE_KEY}
    for i in range(140):
        name = "cycle%d" % i
        r = add_when_a_slot_is_free(s, {**body, "name": name})
        assert r.status_code == 201, r.text
        if i % 20 == 0:  # a request on it now and then: a pool made, then closed when it is retired
            assert ask(pf, api_key).status_code == 200
        assert s.delete(API + "/admin/channels/" + name).status_code == 204
    assert not [n for n in listed(s) if n.startswith("cycle")]


def test_add_past_the_ceiling_names_it(pf, sims):
    _, c, _ = sims
    s = pf.admin()
    doc = s.get(API + "/admin/channels").json()
    ceiling = doc["max_channels"]
    assert ceiling == 64
    made = []
    try:
        for i in range(ceiling - len(doc["channels"])):
            r = add_when_a_slot_is_free(s, {"name": "fill%d" % i, "region": "global", "base_url": c.url,
                                            "key": LIVE_KEY})
            assert r.status_code == 201 and r.json()["channel"]["state"]["running"] is True, r.text
            made.append("fill%d" % i)
        r = s.post(API + "/admin/channels", {"name": "one-too-many", "region": "global", "base_url": c.url,
                                             "key": LIVE_KEY})
        code, kind, _ = err(r)[:3]
        assert (code, kind) == (409, "conflict") and "at most 64 channels" in r.json()["error"]["message"], r.text
        assert "one-too-many" not in listed(s)
        # an edit is no new channel: it still works at the ceiling
        assert s.patch(API + "/admin/channels/fill0", {"weight": 2}).status_code == 200
    finally:
        for n in made:
            assert s.delete(API + "/admin/channels/" + n).status_code == 204


def test_ready_once_a_channel_is_added(sims):
    """A server started without channels is not ready; adding one in the console makes it ready and lets
    the region's keys through at once, removing the last one makes it not ready again."""
    _, c, _ = sims
    p = Platform(accounts={"signup_mode": "open", "reauth_minutes": "10"})
    p.remember(LIVE_KEY)
    try:
        ready = lambda: requests.get(p.gw.url + "/readyz", timeout=5).status_code
        assert ready() == 503
        email = new_email("ready")
        p.gw.create_user(email)
        key = p.gw.create_key(email)
        s = p.admin()
        r = s.post(API + "/admin/channels", {"name": "first", "region": "global", "base_url": c.url, "key": LIVE_KEY})
        assert r.status_code == 201, r.text
        assert ready() == 200
        assert ask(p, key).status_code == 200
        assert s.delete(API + "/admin/channels/first").status_code == 204
        assert ready() == 503
        assert ask(p, key).status_code == 503
    finally:
        p.stop()


def test_changes_made_elsewhere_run_within_a_second(pf, sims, api_key):
    """A channel added by `maxgated admin channel add` (another process), switched and moved by another node
    (its console writes the channels row; here written the same way), and removed by `maxgated admin channel
    remove` runs, changes and stops here within the sync's second, with no restart."""
    _, c, d = sims
    s = pf.admin()
    db = os.path.join(pf.gw.dir, "maxgate.db")

    def another_node(sql, *args):
        with sqlite3.connect(db, timeout=5) as conn:
            conn.execute(sql, args)

    assert s.patch(API + "/admin/channels/a", {"enabled": False}).status_code == 200
    try:
        assert ask(pf, api_key).status_code == 503
        r = pf.gw.admin("channel", "add", "--name", "fromcli", "--region", "global", "--base-url", d.url,
                        "--key-stdin", input=LIVE_KEY + "\n", check=False)
        assert r.returncode == 0, r.stderr
        wait_for(lambda: listed(s).get("fromcli", {}).get("state", {}).get("running"), WAIT_S,
                 "the channel added by maxgated admin to run")
        before = served(d)
        assert ask(pf, api_key).status_code == 200 and served(d) == before + 1
        # switched off elsewhere: no channel here; on again and moved to c: the next requests go to c
        another_node("UPDATE channels SET enabled = 0 WHERE name = 'fromcli'")
        wait_for(lambda: ask(pf, api_key).status_code == 503, WAIT_S, "the switch to reach this node")
        assert listed(s)["fromcli"]["enabled"] is False
        before_c, before_d = served(c), served(d)
        another_node("UPDATE channels SET enabled = 1, base_url = ? WHERE name = 'fromcli'", c.url)
        wait_for(lambda: ask(pf, api_key).status_code == 200, WAIT_S, "the moved channel to run")
        assert served(c) > before_c and served(d) == before_d
        # removed by maxgated admin: it takes no request
        assert pf.gw.admin("channel", "remove", "--name", "fromcli", check=False).returncode == 0
        wait_for(lambda: ask(pf, api_key).status_code == 503, WAIT_S, "the removal to reach this node")
        assert "fromcli" not in listed(s)
        assert LIVE_KEY not in open(pf.gw.stderr_path).read()
    finally:
        assert s.patch(API + "/admin/channels/a", {"enabled": True}).status_code == 200


def test_the_sync_at_its_ceilings(pf, sims, api_key):
    """130 channels written to the database elsewhere: the gateway runs as many as it may (64 with the
    config one), each one it cannot run is logged once, past 128 known the sync says so once; removing
    them all elsewhere takes them out, and the config channel serves on."""
    _, c, _ = sims
    s = pf.admin()
    db = os.path.join(pf.gw.dir, "maxgate.db")
    rows = [("bulk%03d" % i, c.url) for i in range(130)]
    with sqlite3.connect(db, timeout=5) as conn:
        conn.executemany("INSERT INTO channels(name, region, base_url, key_ref, weight, models, enabled) "
                         "VALUES (?, 0, ?, 'env:UP_A', 1, 'acme-none', 1)", rows)

    def running():
        return len([n for n, ch in listed(s).items() if n.startswith("bulk") and ch["state"]["running"]])
    try:
        wait_for(lambda: running() == 63, 30, "63 database channels beside the config one to run")
        wait_for(lambda: "more than 128 database channels" in open(pf.gw.stderr_path).read(), WAIT_S,
                 "the sync to say it knows no more")
    finally:
        with sqlite3.connect(db, timeout=5) as conn:
            conn.execute("DELETE FROM channels WHERE name LIKE 'bulk%'")
    wait_for(lambda: running() == 0 and "bulk000: removed from the database" in open(pf.gw.stderr_path).read(),
             30, "the removal to reach the gateway")
    log = open(pf.gw.stderr_path).read()
    assert log.count("more than 128 database channels") == 1
    refused = [line.split("channel ")[1].split(" ")[0] for line in log.splitlines()
               if "is not run:" in line and "channel bulk" in line]
    assert len(refused) == 128 - 63 and len(set(refused)) == len(refused)  # each once, none past the 128 known
    assert ask(pf, api_key).status_code == 200
