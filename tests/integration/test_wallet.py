"""Issue 12 / BL-7, the wallet through the platform and the gateway: redeem
codes an admin creates (shown once, stored hashed) grow a customer's wallet
and ledger; a code is single use also when 20 threads redeem it at once;
unknown, used and expired codes get one answer; failed attempts are limited;
a wallet-only account is refused with credit_exhausted once its credit is
spent and passes again right after a top-up; the ledger sums to the balance;
no code is in a log, a file of the server's directory or a later answer."""
import json
import os
import subprocess
import tempfile
import threading
import time

import pytest

from harness import BIN, SAN_ENV, Sim, chat, wait_for
from pfclient import API, Platform, err, fresh_ips, skip_unless_platform

skip_unless_platform()

UP = "upstream-wallet"
HOUR_MS = 3600 * 1000
INVALID = "This code is not valid, already used or expired."
# worst case ~6000 micros (5000 output tokens at 1.20 a million, and the body's bytes as input), real cost alike
BODY = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 5000}


@pytest.fixture(scope="module")
def sim():
    s = Sim("global", keys=[UP], tls=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pf(sim):
    p = Platform(accounts={"signup_mode": "open", "reauth_minutes": "10"},
                 channels=[("sim", "global", sim.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP})
    p.codes = []
    p.answers = []  # every answer body after the codes were created: none may carry one
    yield p
    p.stop()
    blobs, names = [], []
    for root, _, files in os.walk(p.gw.dir):
        for f in files:
            names.append(f)
            with open(os.path.join(root, f), "rb") as fh:
                blobs.append(fh.read())
    assert any(n.endswith(".db") for n in names) and "stderr" in names, names
    logs = p.logs()
    for c in p.codes:
        for form in (c, c.replace("-", ""), c[4:].replace("-", "")):
            assert not any(form.encode() in b for b in blobs), "a redeem code is in a file of the server's directory"
            assert form not in logs, "a redeem code is in the server's log"
            assert not any(form in a for a in p.answers), "a redeem code is in a later answer"


@pytest.fixture(autouse=True)
def own_ip(request):
    fresh_ips(request, "pf")


def create_codes(pf, value, count, **extra):
    r = pf.admin().post(API + "/admin/redeem-codes", dict({"value_micros": value, "count": count}, **extra))
    assert r.status_code == 201, r.text
    codes = r.json()["codes"]
    assert len(codes) == count and len(set(codes)) == count
    for c in codes:
        assert len(c) == 23 and c.startswith("MGR-") and c.count("-") == 4, c
    pf.codes += codes
    pf.remember(*codes)
    return codes


def wallet(pf, s):
    r = s.get(API + "/billing/wallet")
    assert r.status_code == 200, r.text
    pf.answers.append(r.text)
    return r.json()


def redeem(pf, s, code):
    r = s.post(API + "/billing/redeem", {"code": code})
    pf.answers.append(r.text)
    return r


def test_redeem_grows_the_wallet_and_the_ledger(pf):
    _, _, s = pf.user("redeem")
    assert wallet(pf, s)["balance_micros"] == 0
    code, = create_codes(pf, 2500000, 1, batch="reseller-a")
    # typed loosely: lower case, spaces, O for 0, no prefix
    loose = code[4:].lower().replace("-", " ").replace("0", "o")
    r = redeem(pf, s, loose)
    assert r.status_code == 200, r.text
    assert r.json()["credited_micros"] == 2500000 and r.json()["balance_micros"] == 2500000
    w = wallet(pf, s)
    assert w["balance_micros"] == 2500000 and w["balance"] == "2.50" and w["wallet_only"] is False
    assert [(e["kind"], e["amount_micros"]) for e in w["ledger"]] == [("redeem", 2500000)]
    assert "reseller-a" in w["ledger"][0]["reference"]
    # the admin's list: the hint and the state, never the code
    r = pf.admin().get(API + "/admin/redeem-codes", params={"batch": "reseller-a"})
    assert r.status_code == 200, r.text
    pf.answers.append(r.text)
    row, = r.json()["codes"]
    assert row["hint"] == code[4:8] and row["state"] == "redeemed" and row["value"] == "2.50"
    types = [e["type"] for e in pf.audit(account=pf.account_id(pf.admin_email))]
    assert "wallet.codes_created" in types


def test_twenty_threads_one_code_one_winner(pf):
    code, = create_codes(pf, 1000000, 1)
    _, _, s = pf.user("race")
    out = [None] * 20
    barrier = threading.Barrier(20)

    def one(i):
        barrier.wait(timeout=60)
        out[i] = redeem(pf, s, code)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    statuses = sorted(r.status_code for r in out)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 400, 429}, statuses  # losers: invalid, or past the failed-attempt limit
    w = wallet(pf, s)
    assert w["balance_micros"] == 1000000 and len(w["ledger"]) == 1


def test_used_expired_unknown_codes_answer_alike(pf):
    used, = create_codes(pf, 1000000, 1)
    tomorrow = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))  # the server's clock is ours
    soon, = create_codes(pf, 1000000, 1, expires_at=tomorrow)
    _, _, s = pf.user("same")
    assert redeem(pf, s, used).status_code == 200
    other_email, other_pw, other = pf.user("other")
    answers = [redeem(pf, other, used), redeem(pf, other, "MGR-ZZZZ-ZZZZ-ZZZZ-ZZZZ"), redeem(pf, other, "nonsense")]
    for r in answers:
        assert err(r) == (400, "field_invalid", "code"), r.text
        assert INVALID in r.json()["error"]["message"]
    # an expiry in the past is refused at creation
    r = pf.admin().post(API + "/admin/redeem-codes", {"value_micros": 1, "count": 1, "expires_at": "2001-01-01T00:00:00Z"})
    assert err(r)[:3] == (400, "field_invalid", "expires_at"), r.text
    assert err(pf.admin().post(API + "/admin/redeem-codes", {"value_micros": 1, "count": 1001}))[:3] == \
        (400, "field_invalid", "count")
    # expired: the same answer
    pf.advance(2 * 24 * HOUR_MS)
    _, _, late = pf.user("late")
    r = redeem(pf, late, soon)
    assert err(r) == (400, "field_invalid", "code") and INVALID in r.json()["error"]["message"], r.text
    assert wallet(pf, late)["balance_micros"] == 0
    assert wallet(pf, pf.login(other_email, other_pw))["balance_micros"] == 0  # (its session idled out)


def test_failed_attempts_are_limited(pf):
    good, = create_codes(pf, 1000000, 1)
    email, _, s = pf.user("guess")
    for i in range(10):
        assert err(redeem(pf, s, "MGR-0000-0000-0000-%04d" % i))[:2] == (400, "field_invalid")
    r = redeem(pf, s, "MGR-0000-0000-0000-0099")
    assert err(r)[:2] == (429, "too_many_attempts") and int(r.headers["retry-after"]) >= 1, r.text
    assert err(redeem(pf, s, good))[:2] == (429, "too_many_attempts")  # also a right code: no oracle
    # another account from the same address is limited too (per IP)
    _, _, s2 = pf.user("guess2")
    assert err(redeem(pf, s2, good))[:2] == (429, "too_many_attempts")
    types = [e["type"] for e in pf.audit(account=pf.account_id(email))]
    assert types.count("wallet.redeem_failed") == 10  # the refused-by-the-limit ones count nothing


def test_wallet_only_is_refused_when_spent_and_passes_after_a_top_up(pf):
    email, _, s = pf.user("wonly")
    acct = pf.account_id(email)
    admin = pf.admin()
    r = admin.patch(API + "/admin/accounts/%d" % acct, {"wallet_only": True})
    assert r.status_code == 200 and r.json()["wallet_only"] is True, r.text
    r = s.post(API + "/keys", {"name": "spend"})
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    pf.remember(key)
    # a balance of 0 admits nothing billable
    check_credit_refusal(chat(pf.gw, key, body=BODY, headers={"x-sim-tokens": "5000"}))
    r = admin.post(API + "/admin/accounts/%d/credit" % acct, {"amount_micros": 10000, "reference": "cash 0.01"})
    assert r.status_code == 201 and r.json()["kind"] == "topup" and r.json()["balance_micros"] == 10000, r.text
    ok = chat(pf.gw, key, body=BODY, headers={"x-sim-tokens": "5000"})  # at once: the key cache heard it
    assert ok.status_code == 200, ok.text
    pf.gw.wait_usage(ok.headers["x-request-id"])
    r = chat(pf.gw, key, body=BODY, headers={"x-sim-tokens": "5000"})
    check_credit_refusal(r)
    r = admin.post(API + "/admin/accounts/%d/credit" % acct, {"amount_micros": 1000000, "reference": "top-up"})
    assert r.status_code == 201, r.text
    assert chat(pf.gw, key, body=BODY, headers={"x-sim-tokens": "5000"}).status_code == 200
    # an adjustment may not take the balance below 0
    r = admin.post(API + "/admin/accounts/%d/credit" % acct, {"amount_micros": -10 ** 9, "reference": "oops"})
    assert err(r)[:3] == (409, "conflict", "amount_micros"), r.text
    r = admin.post(API + "/admin/accounts/%d/credit" % acct, {"amount_micros": -5000, "reference": "correction"})
    assert r.status_code == 201 and r.json()["kind"] == "adjustment", r.text
    w = wallet(pf, s)
    assert w["wallet_only"] is True
    assert sum(e["amount_micros"] for e in w["ledger"]) == w["balance_micros"] == 1005000
    assert [e["kind"] for e in w["ledger"]] == ["adjustment", "topup", "topup"]
    types = [e["type"] for e in pf.audit(account=acct)]
    assert types.count("wallet.credit") == 3


def check_credit_refusal(r):
    assert r.status_code == 429, r.text
    e = r.json()["error"]
    assert e["type"] == "insufficient_quota", r.text
    assert "prepaid credit is used up" in e["message"] and "redeem a code or ask for a top-up" in e["message"]
    assert r.headers["x-should-retry"] == "false" and "retry-after" not in r.headers


def cli(home, base, *args, input=None):
    e = {**os.environ, **SAN_ENV, "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "cfg")}
    for k in ("MAXGATE_API_KEY", "MAXGATE_BASE_URL", "MAXGATE_PROFILE"):
        e.pop(k, None)
    e["MAXGATE_BASE_URL"] = base
    return subprocess.run([os.path.join(BIN, "maxgate"), *args], capture_output=True, env=e, cwd=home, timeout=60,
                          input=input)


def test_cli_operator_codes_and_credit_customer_redeem_and_wallet(pf):
    email, password, _ = pf.user("cliw")
    r = pf.gw.admin("redeem-codes", "create", "--value", "1.50", "--count", "2", "--batch", "cli-batch",
                    "--expires-in-days", "30")
    codes = r.stdout.split()
    assert len(codes) == 2 and all(c.startswith("MGR-") for c in codes), r.stdout
    pf.codes += codes
    pf.remember(*codes)
    assert "shown this once" in r.stderr
    r = pf.gw.admin("redeem-codes", "list", "--batch", "cli-batch")
    assert r.stdout.count("open") == 2 and not any(c in r.stdout for c in codes), r.stdout
    assert pf.gw.admin("redeem-codes", "create", "--value", "x", check=False).returncode == 2
    r = pf.gw.admin("credit", "--email", email, "--amount", "0.50", "--reference", "cash at the desk")
    assert "topup 0.50" in r.stdout and "balance 0.50" in r.stdout, r.stdout
    r = pf.gw.admin("credit", "--email", email, "--amount", "-9.00", "--reference", "too much", check=False)
    assert r.returncode == 1 and "not below" in r.stderr, r.stderr

    home = tempfile.mkdtemp(prefix="mgcli.")
    r = cli(home, pf.url, "account", "login", "--email", email, "--password-stdin", "--output", "json",
            input=(password + "\n").encode())
    assert r.returncode == 0, r.stderr
    r = cli(home, pf.url, "billing", "redeem", codes[0].lower(), "--output", "text")
    assert r.returncode == 0 and b"credited 1.50; balance 2.00" in r.stdout, (r.stdout, r.stderr)
    r = cli(home, pf.url, "billing", "redeem", "-", input=(codes[0] + "\n").encode())  # used
    assert r.returncode == 1 and INVALID.encode() in r.stderr, r.stderr
    r = cli(home, pf.url, "billing", "wallet", "--output", "text")
    assert r.returncode == 0 and b"balance 2.00 USD" in r.stdout and b"redeem" in r.stdout, r.stdout
    assert b"cash at the desk" in r.stdout and codes[0].encode() not in r.stdout
    r = cli(home, pf.url, "billing", "wallet", "--output", "json")
    doc = json.loads(r.stdout)
    assert doc["balance_micros"] == 2000000 == sum(e["amount_micros"] for e in doc["ledger"])
    pf.answers.append(r.stdout.decode())
    assert cli(home, pf.url, "billing", "redeem").returncode == 2


def test_a_wallet_only_account_cannot_spend_last_month_again_before_its_close(sim):
    """Between a month's end and its close (the 5-minute grace) the last month's usage is not yet
    debited from the wallet and the new month's spend starts at 0: the gateway counts the last
    month's spend against the balance until the invoice is issued, then the debited balance alone."""
    import datetime
    p = Platform(accounts={"signup_mode": "open"}, channels=[("sim", "global", sim.url, "UP_GLOBAL", 1)],
                 env={"UP_GLOBAL": UP}, extra={"billing": {"check_interval_ms": "200"}})
    try:
        email, password, s = p.user("wwindow")
        acct = p.account_id(email)
        admin = p.admin()
        assert admin.patch(API + "/admin/accounts/%d" % acct, {"wallet_only": True}).status_code == 200
        assert admin.post(API + "/admin/accounts/%d/credit" % acct,
                          {"amount_micros": 10000, "reference": "cash 0.01"}).status_code == 201
        r = s.post(API + "/keys", {"name": "window"})
        assert r.status_code == 201, r.text
        key = r.json()["key"]
        p.remember(key)
        ok = chat(p.gw, key, body=BODY, headers={"x-sim-tokens": "5000"})
        assert ok.status_code == 200, ok.text
        (spent,) = p.gw.wait_usage(ok.headers["x-request-id"])
        assert 4000 < spent["cost_micros"] < 10000, spent  # what is left no longer fits a worst case of ~6000
        check_credit_refusal(chat(p.gw, key, body=BODY, headers={"x-sim-tokens": "5000"}))
        # the next month, one minute in: the last month is not closed yet
        d = datetime.datetime.fromtimestamp(spent["ts_ms"] / 1000, datetime.timezone.utc)
        y, m = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
        start = int(datetime.datetime(y, m, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000)
        p.advance(start - spent["ts_ms"] + 60 * 1000)
        check_credit_refusal(chat(p.gw, key, body=BODY, headers={"x-sim-tokens": "5000"}))
        # past the grace: the billing thread closes the month, the wallet pays the invoice
        p.advance(5 * 60 * 1000)
        s = p.login(email, password)
        inv = wait_for(lambda: s.get(API + "/invoices").json()["invoices"], what="the billing thread's invoice")[0]
        assert inv["credits_micros"] == spent["cost_micros"] and inv["total_micros"] == 0, inv
        w = s.get(API + "/billing/wallet").json()
        assert w["balance_micros"] == 10000 - spent["cost_micros"], w
        check_credit_refusal(chat(p.gw, key, body=BODY, headers={"x-sim-tokens": "5000"}))  # the balance alone
        admin = p.admin()  # the clock moved: a fresh admin session
        assert admin.post(API + "/admin/accounts/%d/credit" % acct,
                          {"amount_micros": 10000, "reference": "top-up"}).status_code == 201
        assert chat(p.gw, key, body=BODY, headers={"x-sim-tokens": "5000"}).status_code == 200
    finally:
        p.stop()
