"""`maxgate billing cap`, `maxgate billing alerts` and `maxgate prices`
(issue 12) against the real maxgated (/platform/v1/billing/cap, /billing/alerts,
/prices): a first cap needs no step-up, raising it past the step-up window
reads the password from stdin (and refuses without it), lowering does not
ask, none removes it; the free plan's refusal is the API's message with exit
3; alerts add / list / remove; the effective prices; usage errors exit 2
without reaching the server (the cap stays as it was)."""
import json
import os
import subprocess
import tempfile

import pytest

from harness import BIN, SAN_ENV
from pfclient import API, Platform, new_email, pw


@pytest.fixture(scope="module")
def env():
    pf = Platform(accounts={"signup_mode": "open"})
    try:
        yield pf
    finally:
        pf.stop()


def cli(home, base, *args, input=None):
    e = {**os.environ, **SAN_ENV, "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "cfg")}
    for k in ("MAXGATE_API_KEY", "MAXGATE_BASE_URL", "MAXGATE_PROFILE"):
        e.pop(k, None)
    e["MAXGATE_BASE_URL"] = base
    return subprocess.run([os.path.join(BIN, "maxgate"), *args], capture_output=True, text=True, env=e, cwd=home,
                          timeout=60, input=input)


def signed_in(pf, plan=None):
    """A CLI home signed in as a fresh account (of `plan`, else free): (home, password)."""
    email, password = new_email("clicap"), pw()
    pf.create_account(email, password)
    pf.remember(password)
    if plan is not None:
        r = pf.admin().patch(API + "/admin/accounts/%d" % pf.account_id(email), {"plan": plan})
        assert r.status_code == 200, r.text
    home = tempfile.mkdtemp(prefix="mgcli.")
    r = cli(home, pf.url, "account", "login", "--email", email, "--password-stdin", "--output", "json",
            input=password + "\n")
    assert r.returncode == 0, r.stderr
    return home, password


def last_error(r):
    return json.loads(r.stderr.strip().splitlines()[-1])["error"]


def cap_of(pf, home):
    r = cli(home, pf.url, "billing", "cap", "--output", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_cap_set_raise_with_password_lower_remove(env):
    home, password = signed_in(env, plan="professional")
    first = cap_of(env, home)
    assert first["cap_micros"] is None and first["cap"] is None and first["period_end"]

    r = cli(home, env.url, "billing", "cap", "25.00", "--output", "json")  # a first cap: no step-up
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["cap_micros"] == 25000000 and doc["cap"] == "25.00" and doc["remaining_micros"] == 25000000

    text = cli(home, env.url, "billing", "cap", "--output", "text")
    assert text.returncode == 0, text.stderr
    assert "25.00 a month" in text.stdout and "period ends" in text.stdout and "remaining" in text.stdout

    env.advance(11 * 60 * 1000)  # past the 10-minute step-up window, within the session's life
    refused = cli(home, env.url, "billing", "cap", "30", "--output", "json")
    assert refused.returncode == 3 and "--password-stdin" in refused.stderr, refused.stderr
    assert cap_of(env, home)["cap_micros"] == 25000000

    raised = cli(home, env.url, "billing", "cap", "30", "--password-stdin", "--output", "text", input=password + "\n")
    assert raised.returncode == 0, raised.stderr
    assert "30.00 a month" in raised.stdout and password not in raised.stdout + raised.stderr
    assert cap_of(env, home)["cap_micros"] == 30000000

    env.advance(11 * 60 * 1000)
    lowered = cli(home, env.url, "billing", "cap", "12.5", "--output", "json")  # lowering needs no password
    assert lowered.returncode == 0, lowered.stderr
    assert json.loads(lowered.stdout)["cap_micros"] == 12500000

    no_pw = cli(home, env.url, "billing", "cap", "none", "--output", "json")
    assert no_pw.returncode == 3 and "--password-stdin" in last_error(no_pw)["message"]
    removed = cli(home, env.url, "billing", "cap", "none", "--password-stdin", "--output", "text",
                  input=password + "\n")
    assert removed.returncode == 0, removed.stderr
    assert "removed" in removed.stdout and "none" in removed.stdout
    assert cap_of(env, home)["cap_micros"] is None


def test_free_plan_is_refused_with_the_apis_message(env):
    home, _ = signed_in(env)
    r = cli(home, env.url, "billing", "cap", "5", "--output", "text")
    assert r.returncode == 3, r.stderr
    assert "professional plan" in r.stderr and "free plan" in r.stderr
    j = cli(home, env.url, "billing", "cap", "5", "--output", "json")
    assert j.returncode == 3 and last_error(j)["api_code"] == "plan_required" and last_error(j)["status"] == 403
    a = cli(home, env.url, "billing", "alerts", "add", "--threshold", "50", "--output", "json")
    assert a.returncode == 3 and last_error(a)["api_code"] == "plan_required"
    assert cap_of(env, home)["cap_micros"] is None


def test_alerts_add_list_remove(env):
    home, _ = signed_in(env, plan="professional")
    no_cap = cli(home, env.url, "billing", "alerts", "add", "--threshold", "80", "--output", "json")
    assert no_cap.returncode == 1 and last_error(no_cap)["status"] == 409  # an alert is a percentage of the cap
    assert cli(home, env.url, "billing", "cap", "10", "--output", "json").returncode == 0

    empty = cli(home, env.url, "billing", "alerts", "--output", "text")
    assert empty.returncode == 0 and "no spending alerts" in empty.stdout

    a = cli(home, env.url, "billing", "alerts", "add", "--threshold", "80", "--output", "json")
    assert a.returncode == 0, a.stderr
    first = json.loads(a.stdout)
    assert first["service"] == "all" and first["threshold_percent"] == 80
    assert sorted(first["channels"]) == ["email", "in_app"] and first["fired_this_period"] is False
    b = cli(home, env.url, "billing", "alerts", "add", "--threshold", "50", "--service", "chat", "--channels",
            "in_app", "--output", "text")
    assert b.returncode == 0, b.stderr
    assert "chat" in b.stdout and "50 %" in b.stdout and "in_app" in b.stdout

    dup = cli(home, env.url, "billing", "alerts", "add", "--threshold", "80", "--output", "json")
    assert dup.returncode == 1 and last_error(dup)["status"] == 409

    lst = cli(home, env.url, "billing", "alerts", "--output", "json")
    assert lst.returncode == 0, lst.stderr
    alerts = json.loads(lst.stdout)["alerts"]
    assert sorted((x["service"], x["threshold_percent"]) for x in alerts) == [("all", 80), ("chat", 50)]
    table = cli(home, env.url, "billing", "alerts", "--output", "text").stdout
    assert "80 %" in table and "email,in_app" in table and "chat" in table

    rm = cli(home, env.url, "billing", "alerts", "remove", str(first["id"]), "--output", "json")
    assert rm.returncode == 0, rm.stderr
    assert json.loads(rm.stdout) == {"removed": first["id"]}
    left = json.loads(cli(home, env.url, "billing", "alerts", "--output", "json").stdout)["alerts"]
    assert [x["threshold_percent"] for x in left] == [50]
    again = cli(home, env.url, "billing", "alerts", "remove", str(first["id"]), "--output", "json")
    assert again.returncode == 1 and last_error(again)["status"] == 404

    other, _ = signed_in(env, plan="professional")  # another account's alert is not found
    theirs = cli(other, env.url, "billing", "alerts", "remove", str(left[0]["id"]), "--output", "json")
    assert theirs.returncode == 1 and last_error(theirs)["status"] == 404


def test_prices_show_the_callers_prices(env):
    home, _ = signed_in(env)
    r = cli(home, env.url, "prices", "--output", "json")
    assert r.returncode == 0, r.stderr
    rows = {p["model"]: p for p in json.loads(r.stdout)["prices"]}
    m27 = rows["MiniMax-M2.7"]  # src/billing/prices.c: 0.30 / 1.20 per 1M tokens at the ratio 1
    assert m27["input_per_mtok_micros"] == 300000 and m27["output_per_mtok_micros"] == 1200000

    one = cli(home, env.url, "prices", "--model", "MiniMax-M2.7", "--output", "json")
    assert one.returncode == 0, one.stderr
    assert [p["model"] for p in json.loads(one.stdout)["prices"]] == ["MiniMax-M2.7"]
    text = cli(home, env.url, "prices", "--model", "MiniMax-M2.7", "--output", "text")
    assert text.returncode == 0 and "MiniMax-M2.7" in text.stdout and "0.30" in text.stdout and "1.20" in text.stdout
    assert "INPUT/1M" in text.stdout
    none = cli(home, env.url, "prices", "--model", "no-such-model", "--output", "json")
    assert none.returncode == 1 and "no price" in none.stderr


def test_usage_errors_stay_local(env):
    home, _ = signed_in(env, plan="professional")
    assert cli(home, env.url, "billing", "cap", "7", "--output", "json").returncode == 0
    cases = [
        ("billing", "cap", "-1"),
        ("billing", "cap", "0"),
        ("billing", "cap", "abc"),
        ("billing", "cap", "1.2345678"),
        ("billing", "cap", "281474977"),  # more than 2^48-1 micros
        ("billing", "cap", "5", "--colour", "red"),
        ("billing", "alerts", "add"),
        ("billing", "alerts", "add", "--threshold", "0"),
        ("billing", "alerts", "add", "--threshold", "101"),
        ("billing", "alerts", "add", "--threshold", "eighty"),
        ("billing", "alerts", "add", "--threshold", "50", "--service", "sms"),
        ("billing", "alerts", "add", "--threshold", "50", "--service", "quota"),
        ("billing", "alerts", "add", "--threshold", "50", "--channels", "email,pager"),
        ("billing", "alerts", "add", "--threshold", "50", "--channels", "email,email"),
        ("billing", "alerts", "remove", "x"),
        ("prices", "--model", ""),
    ]
    for args in cases:
        r = cli(home, env.url, *args, "--output", "json")
        assert r.returncode == 2, (args, r.stderr)
        assert last_error(r)["code"] == 2, (args, r.stderr)
    text = cli(home, env.url, "billing", "cap", "abc", "--output", "text")
    assert text.returncode == 2 and "25.00" in text.stderr and "none" in text.stderr
    assert cap_of(env, home)["cap_micros"] == 7000000
    assert json.loads(cli(home, env.url, "billing", "alerts", "--output", "json").stdout)["alerts"] == []
