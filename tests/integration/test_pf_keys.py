"""Issue 11 (first part): an account's API keys through the platform API —
create (the full key once), list/read (never the key), edit (takes effect at
the gateway on the next request), revoke (the next request is refused),
rotate (both work for the window; the old one ends at its boundary by the
test clock), another account's key is a 404, step-up for create/rotate, the
90-day flag, the leaked-key revocation, and the full key in no file, log,
mail or later answer."""
import os
import re

import pytest

from harness import WAIT_S, Sim, chat, wait_for
from pfclient import API, DAY_MS, MINUTE_MS, Platform, err, fresh_ips, skip_unless_platform

skip_unless_platform()

UP = "upstream-pf-keys-key"
KEY_RE = r"mgk_gl_[0-9A-Za-z]{50}"


@pytest.fixture(scope="module")
def sim():
    s = Sim("global", keys=[UP], tls=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pf(sim):
    p = Platform(accounts={"signup_mode": "open", "reauth_minutes": "10"},
                 channels=[("sim", "global", sim.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP})
    p.full_keys = []
    yield p
    p.stop()
    # the full keys the tests made: in no file of the server's directory (database, WAL, logs) nor any mail
    blobs, names = [], []
    for root, _, files in os.walk(p.gw.dir):
        for f in files:
            names.append(f)
            with open(os.path.join(root, f), "rb") as fh:
                blobs.append(fh.read())
    assert any(n.endswith(".db") for n in names) and "stderr" in names, names  # the database and the log were read
    mails = "".join(str(m["msg"]) for m in p.mailbox.mails())
    for k in p.full_keys:
        assert not any(k.encode() in b for b in blobs), "a full key is in a file of the server's directory"
        assert k not in mails, "a full key is in a mail"


@pytest.fixture(autouse=True)
def own_ip(request):
    fresh_ips(request, "pf")


def openai_err(r):
    return r.status_code, r.json()["error"]["code"]


def create(pf, s, **body):
    body.setdefault("name", "k")
    r = s.post(API + "/keys", body)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert re.fullmatch(KEY_RE, doc["key"]), doc
    pf.full_keys.append(doc["key"])
    pf.remember(doc["key"])
    return doc


def keys_of(s):
    r = s.get(API + "/keys")
    assert r.status_code == 200, r.text
    return r.json()["keys"]


def no_key_in(pf, r):
    for k in pf.full_keys:
        assert k not in r.text


def test_create_shows_the_key_once_and_it_works_at_once(pf):
    _, _, s = pf.user("kc")
    doc = create(pf, s, name="first", scopes=["chat", "speech"], models=["MiniMax-M2.7"])
    key, pid = doc["key"], doc["id"]
    assert len(pid) == 12 and key.startswith("mgk_gl_" + pid) and doc["prefix"] == "mgk_gl_" + pid
    assert doc["name"] == "first" and doc["region"] == "global" and doc["status"] == "active"
    assert doc["scopes"] == ["chat", "speech"] and doc["models"] == ["MiniMax-M2.7"]
    assert doc["last_used_at"] is None and doc["expires_at"] is None and doc["unused_90d"] is False
    assert chat(pf.gw, key).status_code == 200  # no poll waited for
    lst = s.get(API + "/keys")
    one = s.get(API + "/keys/" + pid)
    assert one.status_code == 200 and "key" not in one.json()
    assert [k["id"] for k in lst.json()["keys"]] == [pid] and "key" not in lst.json()["keys"][0]
    no_key_in(pf, lst)
    no_key_in(pf, one)
    assert "key.created" in {e["type"] for e in pf.audit(account=pf.account_id(s.me().json()["email"]))}


def test_create_validates(pf):
    _, _, s = pf.user("kv")
    assert err(s.post(API + "/keys", {}))[:3] == (400, "field_missing", "name")
    assert err(s.post(API + "/keys", {"name": "x", "scopes": ["chat", "nope"]}))[:3] == (400, "field_invalid", "scopes")
    assert err(s.post(API + "/keys", {"name": "x", "scopes": []}))[:3] == (400, "field_invalid", "scopes")
    assert err(s.post(API + "/keys", {"name": "x", "region": "cn"}))[:3] == (400, "field_invalid", "region")
    assert err(s.post(API + "/keys", {"name": "x", "expires_at": "tomorrow"}))[:3] == (400, "field_invalid",
                                                                                       "expires_at")
    assert err(s.post(API + "/keys", {"name": "x", "expires_at": "2001-01-01T00:00:00Z"}))[0] == 400
    assert err(s.post(API + "/keys", {"name": "x" * 65}))[:3] == (400, "field_invalid", "name")
    doc = create(pf, s, name="exp", expires_at="2099-01-31T12:00:00Z")
    assert doc["expires_at"] == "2099-01-31T12:00:00Z" and doc["status"] == "expiring"


def test_revoke_refuses_the_next_request(pf):
    _, _, s = pf.user("kr")
    doc = create(pf, s)
    assert chat(pf.gw, doc["key"]).status_code == 200
    assert s.delete(API + "/keys/" + doc["id"]).status_code == 204
    assert openai_err(chat(pf.gw, doc["key"])) == (401, "key_revoked")
    got = s.get(API + "/keys/" + doc["id"]).json()
    assert got["status"] == "revoked"
    assert err(s.patch(API + "/keys/" + doc["id"], {"name": "again"}))[:2] == (409, "conflict")
    assert err(s.post(API + "/keys/" + doc["id"] + "/rotate", {}))[:2] == (409, "conflict")
    assert s.delete(API + "/keys/" + doc["id"]).status_code == 204  # twice is once


def test_patch_takes_effect_on_the_next_request(pf):
    _, _, s = pf.user("kp")
    doc = create(pf, s)
    assert chat(pf.gw, doc["key"]).status_code == 200
    r = s.patch(API + "/keys/" + doc["id"], {"scopes": ["speech"], "name": "renamed"})
    assert r.status_code == 200, r.text
    assert r.json()["scopes"] == ["speech"] and r.json()["name"] == "renamed"
    no_key_in(pf, r)
    assert openai_err(chat(pf.gw, doc["key"])) == (403, "key_scope")
    assert s.patch(API + "/keys/" + doc["id"], {"scopes": ["chat"]}).status_code == 200
    assert chat(pf.gw, doc["key"]).status_code == 200
    r = s.patch(API + "/keys/" + doc["id"], {"models": ["MiniMax-Other"]})
    assert r.status_code == 200 and r.json()["models"] == ["MiniMax-Other"]
    assert chat(pf.gw, doc["key"]).status_code != 200  # the model allowlist, at once
    assert s.patch(API + "/keys/" + doc["id"], {"models": []}).json()["models"] == []
    assert chat(pf.gw, doc["key"]).status_code == 200


def test_rotation_window_boundaries(pf):
    _, password, s = pf.user("kt")
    old = create(pf, s, name="rot", scopes=["chat"])
    r = s.post(API + "/keys/" + old["id"] + "/rotate", {"window_seconds": 3600})
    assert r.status_code == 201, r.text
    new = r.json()
    pf.full_keys.append(new["key"])
    pf.remember(new["key"])
    assert new["id"] != old["id"] and new["key"] != old["key"]
    assert new["name"] == "rot" and new["scopes"] == ["chat"] and new["status"] == "active"
    assert new["old_key_expires_at"] is not None
    listed = {k["id"]: k for k in keys_of(s)}
    assert listed[old["id"]]["status"] == "expiring"
    assert listed[old["id"]]["expires_at"] == new["old_key_expires_at"]
    assert chat(pf.gw, old["key"]).status_code == 200 and chat(pf.gw, new["key"]).status_code == 200
    pf.advance(3600 * 1000 - 1000)  # T - 1 s
    assert chat(pf.gw, old["key"]).status_code == 200
    pf.advance(2000)  # T + 1 s: the gateway compares the expiry with the clock on every request
    assert openai_err(chat(pf.gw, old["key"])) == (401, "key_expired")
    assert chat(pf.gw, new["key"]).status_code == 200
    s = pf.login(s.me().json()["email"], password)  # a fresh step-up for what follows
    assert {k["id"]: k for k in keys_of(s)}[old["id"]]["status"] == "expired"


def test_rotation_window_zero_revokes_now(pf):
    _, _, s = pf.user("k0")
    old = create(pf, s)
    r = s.post(API + "/keys/" + old["id"] + "/rotate", {"window_seconds": 0})
    assert r.status_code == 201, r.text
    pf.full_keys.append(r.json()["key"])
    assert openai_err(chat(pf.gw, old["key"])) == (401, "key_revoked")
    assert chat(pf.gw, r.json()["key"]).status_code == 200
    assert err(s.post(API + "/keys/" + old["id"] + "/rotate", {"window_seconds": 2592001}))[:3] == (
        400, "field_invalid", "window_seconds")


def test_another_accounts_key_is_404(pf):
    _, _, a = pf.user("ka")
    _, _, b = pf.user("kb")
    doc = create(pf, a)
    for r in (b.get(API + "/keys/" + doc["id"]), b.patch(API + "/keys/" + doc["id"], {"name": "mine"}),
              b.delete(API + "/keys/" + doc["id"]), b.post(API + "/keys/" + doc["id"] + "/rotate", {}),
              b.get(API + "/keys/nosuchkey123")):
        assert err(r)[:2] == (404, "resource_not_found"), r.text
    assert keys_of(b) == []
    assert chat(pf.gw, doc["key"]).status_code == 200  # untouched
    assert a.get(API + "/keys/" + doc["id"]).json()["name"] == "k"


def test_create_and_rotate_need_step_up(pf):
    _, _, s = pf.user("ks")
    doc = create(pf, s)
    pf.advance(11 * MINUTE_MS)
    assert err(s.post(API + "/keys", {"name": "late"}))[:2] == (403, "reauth_required")
    assert err(s.post(API + "/keys/" + doc["id"] + "/rotate", {}))[:2] == (403, "reauth_required")
    assert s.patch(API + "/keys/" + doc["id"], {"name": "fine"}).status_code == 200  # edits need no step-up


def test_unused_90_days_flag(pf):
    email, password, s = pf.user("k9")
    doc = create(pf, s)
    assert chat(pf.gw, doc["key"]).status_code == 200
    # last use is written by the key poller in batches: wait for it before the clock moves
    wait_for(lambda: keys_of(s)[0]["last_used_at"], WAIT_S, "the key's last use written")
    pf.advance(89 * DAY_MS)
    s = pf.login(email, password)
    assert keys_of(s)[0]["unused_90d"] is False
    pf.advance(2 * DAY_MS)
    s = pf.login(email, password)
    (k,) = keys_of(s)
    assert k["unused_90d"] is True  # created and last used more than 90 days ago
    fresh = create(pf, s)
    assert {x["id"]: x for x in keys_of(s)}[fresh["id"]]["unused_90d"] is False


def test_admin_keys_and_leaked_revocation(pf):
    email, _, s = pf.user("kl")
    aid = pf.account_id(email)
    adm = pf.admin_login()
    a = create(pf, s, name="leak-full")
    b = create(pf, s, name="leak-id")
    r = adm.get(API + "/admin/accounts/%d/keys" % aid)
    assert r.status_code == 200 and {k["id"] for k in r.json()["keys"]} == {a["id"], b["id"]}
    no_key_in(pf, r)
    assert adm.get(API + "/admin/accounts/%d/keys/%s" % (aid, a["id"])).json()["name"] == "leak-full"
    assert err(adm.get(API + "/admin/accounts/%d/keys/%s" % (aid + 100000, a["id"])))[0] == 404
    # a checksum failure is refused offline
    bad = a["key"][:-1] + ("0" if a["key"][-1] != "0" else "1")
    assert err(adm.post(API + "/admin/keys/revoke-leaked", {"key": bad}))[:3] == (400, "field_invalid", "key")
    assert chat(pf.gw, a["key"]).status_code == 200
    r = adm.post(API + "/admin/keys/revoke-leaked", {"key": a["key"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"id": a["id"], "account_id": aid, "status": "revoked"}
    no_key_in(pf, r)
    assert openai_err(chat(pf.gw, a["key"])) == (401, "key_revoked")
    r = adm.post(API + "/admin/keys/revoke-leaked", {"key": b["id"]})
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert openai_err(chat(pf.gw, b["key"])) == (401, "key_revoked")
    assert err(adm.post(API + "/admin/keys/revoke-leaked", {"key": "nosuchkey123"}))[0] == 404
    assert err(adm.post(API + "/admin/keys/revoke-leaked", {"key": "x"}))[:2] == (400, "field_invalid")
    wait_for(lambda: len([m for m in pf.mailbox.mails(email) if "API key" in str(m["msg"]["subject"])]) >= 2,
             WAIT_S, "the two key-revoked mails")
    r = s.get(API + "/notifications")
    no_key_in(pf, r)
    notes = r.json()
    assert any(a["id"] in n["text"] for n in notes["notifications"]), notes
    types = [e["type"] for e in pf.audit(account=aid)]
    assert types.count("key.leaked_revoked") == 2
    # admin edit and revoke of the account's keys
    c = create(pf, s, name="adm")
    r = adm.patch(API + "/admin/accounts/%d/keys/%s" % (aid, c["id"]), {"scopes": ["speech"]})
    assert r.status_code == 200 and r.json()["scopes"] == ["speech"]
    assert openai_err(chat(pf.gw, c["key"])) == (403, "key_scope")
    assert adm.delete(API + "/admin/accounts/%d/keys/%s" % (aid, c["id"])).status_code == 204
    assert openai_err(chat(pf.gw, c["key"])) == (401, "key_revoked")


def test_non_admin_cannot_use_admin_key_routes(pf):
    email, _, s = pf.user("kn")
    aid = pf.account_id(email)
    assert err(s.get(API + "/admin/accounts/%d/keys" % aid))[0] == 403
    assert err(s.post(API + "/admin/keys/revoke-leaked", {"key": "nosuchkey123"}))[0] == 403


def test_operator_key_edit_rotate_and_revoke_by_text(pf):
    """`maxgated admin key edit|rotate` and `revoke --key`: through the platform's handlers (audited, mailed);
    the running server sees them at its next key poll."""
    email, _, s = pf.user("ko")
    aid = pf.account_id(email)
    doc = create(pf, s, name="op")
    r = pf.gw.admin("key", "edit", "--id", doc["id"], "--scopes", "speech", "--name", "op2", check=False)
    assert r.returncode == 0, r.stderr
    assert '"speech"' in r.stdout and "op2" in r.stdout
    # the quota call every key may make does not look at scopes: ask chat
    wait_for(lambda: chat(pf.gw, doc["key"]).status_code == 403, WAIT_S, "the scope change at the gateway")
    assert pf.gw.admin("key", "edit", "--id", doc["id"], "--scopes", "all", check=False).returncode == 0
    wait_for(lambda: chat(pf.gw, doc["key"]).status_code == 200, WAIT_S, "the scope change at the gateway")
    assert pf.gw.admin("key", "edit", "--id", "nosuchkey123", "--name", "x", check=False).returncode == 1
    assert pf.gw.admin("key", "edit", "--id", doc["id"], check=False).returncode == 2

    r = pf.gw.admin("key", "rotate", "--id", doc["id"], "--window-seconds", "0", check=False)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(KEY_RE + r"\n", r.stdout), "the new key alone on stdout"
    new = r.stdout.strip()
    pf.full_keys.append(new)
    pf.remember(new)
    assert new not in r.stderr
    assert pf.gw.wait_key_state(doc["key"], lambda e: e == "KEY_REVOKED") == "KEY_REVOKED"
    assert pf.gw.wait_key_state(new, lambda e: e is None) is None
    assert chat(pf.gw, new).status_code == 200

    bad = new[:-1] + ("0" if new[-1] != "0" else "1")
    r = pf.gw.admin("key", "revoke", "--key", bad, check=False)
    assert r.returncode == 1 and "checksum" in r.stderr
    r = pf.gw.admin("key", "revoke", "--key", new, check=False)
    assert r.returncode == 0, r.stderr
    assert new not in r.stdout + r.stderr
    assert pf.gw.wait_key_state(new, lambda e: e == "KEY_REVOKED") == "KEY_REVOKED"
    wait_for(lambda: [m for m in pf.mailbox.mails(email) if "API key" in str(m["msg"]["subject"])], WAIT_S,
             "the key-revoked mail")
    types = [e["type"] for e in pf.audit(account=aid)]
    assert {"key.updated", "key.rotated", "key.leaked_revoked"} <= set(types)


def test_at_most_100_active_keys(pf):
    """The ceiling on active keys per account: the 101st is refused (409), a revoked one frees a place;
    a rotation at the ceiling needs room for its new key unless the old one ends at once."""
    _, _, s = pf.user("kx")
    made = [create(pf, s, name="n%d" % i) for i in range(100)]
    assert err(s.post(API + "/keys", {"name": "one-too-many"}))[:2] == (409, "conflict")
    assert err(s.post(API + "/keys/" + made[0]["id"] + "/rotate", {}))[:2] == (409, "conflict")
    r = s.post(API + "/keys/" + made[0]["id"] + "/rotate", {"window_seconds": 0})
    assert r.status_code == 201, r.text
    pf.full_keys.append(r.json()["key"])
    assert s.delete(API + "/keys/" + made[1]["id"]).status_code == 204
    create(pf, s, name="fits-again")
    assert len(keys_of(s)) == 102  # revoked keys stay listed


def test_no_later_answer_shows_a_full_key(pf):
    """Runs after the others in this module: the audit log, the notifications and every key list."""
    adm = pf.admin_login()
    r = adm.get(API + "/admin/audit", params={"limit": 200})
    assert r.status_code == 200
    no_key_in(pf, r)
    _, _, s = pf.user("kz")
    no_key_in(pf, s.get(API + "/notifications"))
    no_key_in(pf, s.get(API + "/me/audit"))
