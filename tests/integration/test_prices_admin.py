"""Issue 12, BL-1: the operator's price table and ratios, changed while the
server runs: a customer's effective prices (official x their ratio: the
account's, else the plan's, else the operator's), a request billed at the
ratio in force when it was admitted, a new model priced live, removed
again, and a change made by another process (`maxgated admin price`) picked
up by the running server's price poll."""
import json

import pytest

from harness import WAIT_S, Sim, chat, wait_for
from pfclient import API, Platform, err, fresh_ips, skip_unless_platform

skip_unless_platform()

UP = "upstream-prices-admin"
BODY = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 100}


@pytest.fixture(scope="module")
def sim():
    s = Sim("global", keys=[UP], tls=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pf(sim):
    p = Platform(accounts={"signup_mode": "open"}, channels=[("sim", "global", sim.url, "UP_GLOBAL", 1)],
                 env={"UP_GLOBAL": UP})
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def own_ip(request):
    fresh_ips(request, "pf")


def price_of(s, model="MiniMax-M2.7"):
    r = s.get(API + "/prices")
    assert r.status_code == 200, r.text
    rows = {p["model"]: p for p in r.json()["prices"]}
    return rows[model]


def cost_of(pf, key):
    r = chat(pf.gw, key, body=BODY, headers={"x-sim-tokens": "100"})
    assert r.status_code == 200, r.text
    (row,) = pf.gw.wait_usage(r.headers["x-request-id"])
    return row["cost_micros"], row


def new_key(pf, s):
    r = s.post(API + "/keys", {"name": "p"})
    assert r.status_code == 201, r.text
    pf.remember(r.json()["key"])
    return r.json()["key"]


def test_ratios_global_plan_account_reach_prices_and_bills(pf):
    admin = pf.admin()
    email, _, s = pf.user("ratio")
    key = new_key(pf, s)
    assert price_of(s)["input_per_mtok_micros"] == 300000  # 0.30 a million input tokens, the official price
    full, row = cost_of(pf, key)
    units = (row["input_tokens"], row["output_tokens"])
    # the operator's ratio: 40 %
    r = admin.request("PUT", API + "/admin/price-ratio", {"ratio_ppm": 400000})
    assert r.status_code == 200, r.text
    assert price_of(s)["input_per_mtok_micros"] == 120000 and price_of(s)["input_per_mtok"] == "0.12"
    cost, row = cost_of(pf, key)
    assert (row["input_tokens"], row["output_tokens"]) == units
    assert abs(cost - full * 0.4) <= 1, (cost, full)  # one rounding, half up
    # the professional plan's ratio beats the operator's; the account's beats the plan's
    aid = pf.account_id(email)
    assert admin.patch(API + "/admin/accounts/%d" % aid, {"plan": "professional"}).status_code == 200
    assert admin.request("PUT", API + "/admin/plans/professional/price-ratio", {"ratio_ppm": 500000}).status_code == 200
    assert price_of(s)["input_per_mtok_micros"] == 150000
    wait_for(lambda: abs(cost_of(pf, key)[0] - full * 0.5) <= 1, WAIT_S, "the plan's ratio at the gateway")
    assert admin.request("PUT", API + "/admin/accounts/%d/price-ratio" % aid, {"ratio_ppm": 250000}).status_code == 200
    assert price_of(s)["input_per_mtok_micros"] == 75000
    wait_for(lambda: abs(cost_of(pf, key)[0] - full * 0.25) <= 1, WAIT_S, "the account's ratio at the gateway")
    # removing the account's ratio falls back to the plan's
    assert admin.request("PUT", API + "/admin/accounts/%d/price-ratio" % aid, {"ratio_ppm": None}).status_code == 200
    assert price_of(s)["input_per_mtok_micros"] == 150000
    # another customer on the free plan pays the operator's 40 %
    _, _, other = pf.user("ratio-other")
    assert price_of(other)["input_per_mtok_micros"] == 120000
    listed = admin.get(API + "/admin/prices").json()
    assert listed["ratio_ppm"] == 400000
    assert {"scope": "plan:professional", "ratio_ppm": 500000} in listed["ratios"]
    assert admin.request("PUT", API + "/admin/price-ratio", {"ratio_ppm": 1000000}).status_code == 200
    types = [e["type"] for e in pf.audit()]
    assert types.count("price.ratio_set") >= 5


def test_a_new_model_is_priced_live_and_removed(pf):
    admin = pf.admin()
    _, _, s = pf.user("newmodel")
    key = new_key(pf, s)
    body = dict(BODY, model="acme-new-1")
    r = chat(pf.gw, key, body=body)
    assert r.status_code == 400 and "model_unpriced" in r.text
    r = admin.request("PUT", API + "/admin/prices/acme-new-1", {"input_per_mtok": 1000000, "output_per_mtok": 2000000})
    assert r.status_code == 200, r.text
    assert r.json()["input_per_mtok"] == "1.00"
    r = chat(pf.gw, key, body=body, headers={"x-sim-tokens": "10"})
    assert r.status_code == 200, r.text  # this node's gateway took it at once
    (row,) = pf.gw.wait_usage(r.headers["x-request-id"])
    assert row["cost_micros"] == (row["input_tokens"] * 1000000 + row["output_tokens"] * 2000000 + 500000) // 1000000
    assert price_of(s, "acme-new-1")["output_per_mtok_micros"] == 2000000
    assert admin.delete(API + "/admin/prices/acme-new-1").status_code == 204
    assert chat(pf.gw, key, body=body).status_code == 400
    assert err(admin.delete(API + "/admin/prices/acme-new-1"))[0] == 404


def test_bad_input_and_roles(pf):
    admin = pf.admin()
    _, _, s = pf.user("pricebad")
    assert err(s.get(API + "/admin/prices"))[0] == 403
    assert err(s.request("PUT", API + "/admin/price-ratio", {"ratio_ppm": 1}))[0] == 403
    assert err(admin.request("PUT", API + "/admin/prices/has%20space", {"input_per_mtok": 1}))[0] in (400, 404)
    assert err(admin.request("PUT", API + "/admin/prices/x", {}))[:2] == (400, "field_missing")
    assert err(admin.request("PUT", API + "/admin/prices/x", {"input_per_mtok": -1}))[2] == "input_per_mtok"
    assert err(admin.request("PUT", API + "/admin/prices/x", {"input_per_mtok": 10 ** 13}))[2] == "input_per_mtok"
    assert err(admin.request("PUT", API + "/admin/price-ratio", {}))[:3] == (400, "field_missing", "ratio_ppm")
    assert err(admin.request("PUT", API + "/admin/plans/gold/price-ratio", {"ratio_ppm": 1}))[0] == 404


def test_another_process_changes_a_price(pf):
    _, _, s = pf.user("cliprice")
    key = new_key(pf, s)
    r = pf.gw.admin("price", "set", "--model", "acme-cli-1", "--input", "0.50", "--output", "1.50", check=False)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: chat(pf.gw, key, body=dict(BODY, model="acme-cli-1")).status_code == 200, WAIT_S,
             "the running server's price poll")
    listed = pf.gw.admin("price", "list").stdout
    assert "acme-cli-1" in listed and "0.50" in listed and "1.50" in listed
    assert pf.gw.admin("price", "remove", "--model", "acme-cli-1", check=False).returncode == 0
    bad = pf.gw.admin("price", "set", "--model", "y", "--input", "abc", check=False)
    assert bad.returncode == 2 and "--input" in bad.stderr


def test_revenue_report_against_the_official_price(pf):
    admin = pf.admin()
    email, _, s = pf.user("report")
    aid = pf.account_id(email)
    key = new_key(pf, s)
    assert admin.request("PUT", API + "/admin/accounts/%d/price-ratio" % aid, {"ratio_ppm": 500000}).status_code == 200
    wait_for(lambda: price_of(s)["input_per_mtok_micros"] == 150000, WAIT_S, "the account's ratio")
    costs = [cost_of(pf, key)[0] for _ in range(3)]  # the key cache had the ratio before the answer
    r = admin.get(API + "/admin/reports/revenue")
    assert r.status_code == 200, r.text
    doc = r.json()
    everyone = sum(u["cost_micros"] for u in pf.gw.usage())
    assert doc["revenue_micros"] == everyone  # every account's usage this period
    (mine,) = [a for a in doc["by_account"] if a["account_id"] == aid]
    assert mine["email"] == email and mine["revenue_micros"] == sum(costs)
    assert abs(mine["official_cost_micros"] - 2 * mine["revenue_micros"]) <= 6, mine  # 50 %: one rounding per bill
    assert doc["margin_micros"] == doc["revenue_micros"] - doc["official_cost_micros"]
    assert any(m["model"] == "MiniMax-M2.7" and m["requests"] >= 3 for m in doc["by_model"])
    assert err(admin.get(API + "/admin/reports/revenue", params={"period": "2026-13"}))[2] == "period"
    assert err(s.get(API + "/admin/reports/revenue"))[0] == 403


def test_the_account_patch_sets_the_ratio_and_the_balance(pf):
    """PLATFORM-API.md: PATCH /admin/accounts/{id} {ratio_ppm?, credit_micros?} beside the plan and role;
    the ratio as PUT .../price-ratio sets it, the balance as one ledger entry of the difference."""
    admin = pf.admin()
    email, _, s = pf.user("patchratio")
    aid = pf.account_id(email)
    r = admin.patch(API + "/admin/accounts/%d" % aid, {"ratio_ppm": 250000})
    assert r.status_code == 200 and r.json()["ratio_ppm"] == 250000, r.text
    assert price_of(s)["input_per_mtok_micros"] == 75000
    r = admin.patch(API + "/admin/accounts/%d" % aid, {"ratio_ppm": None})  # removed: the operator's applies
    assert r.status_code == 200 and r.json()["ratio_ppm"] is None, r.text
    assert price_of(s)["input_per_mtok_micros"] == 300000
    r = admin.patch(API + "/admin/accounts/%d" % aid, {"credit_micros": 3000000})
    assert r.status_code == 200 and r.json()["credit_micros"] == 3000000, r.text
    r = admin.patch(API + "/admin/accounts/%d" % aid, {"credit_micros": 1000000})
    assert r.status_code == 200 and r.json()["credit_micros"] == 1000000, r.text
    assert admin.patch(API + "/admin/accounts/%d" % aid, {"credit_micros": 1000000}).status_code == 200  # no change
    w = s.get(API + "/billing/wallet").json()
    assert w["balance_micros"] == 1000000
    assert [(e["kind"], e["amount_micros"]) for e in w["ledger"]] == [("adjustment", -2000000), ("topup", 3000000)]
    assert w["ledger"][0]["reference"] == "balance set to 1.00 by an admin"
    assert err(admin.patch(API + "/admin/accounts/%d" % aid, {"credit_micros": -1}))[2] == "credit_micros"
    assert err(admin.patch(API + "/admin/accounts/%d" % aid, {"ratio_ppm": -5}))[2] == "ratio_ppm"
    assert err(s.patch(API + "/admin/accounts/%d" % aid, {"ratio_ppm": 1}))[0] == 403


def test_the_whole_table_in_one_put(pf):
    """PUT /admin/prices: the database's rows become the list (all or nothing), with the operator's ratio."""
    admin = pf.admin()
    _, _, s = pf.user("pricetable")
    key = new_key(pf, s)
    for m in ("acme-keep-1", "acme-gone-1"):
        assert admin.request("PUT", API + "/admin/prices/" + m, {"input_per_mtok": 1000000}).status_code == 200
    table = {"ratio_ppm": 500000, "prices": [
        {"model": "acme-keep-1", "input_per_mtok": 2000000, "output_per_mtok": 4000000},
        {"model": "acme-vid-*", "video_text": "768P/6s=0.30, 1080P=0.10/s"}]}
    r = admin.request("PUT", API + "/admin/prices", table)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["removed"] == ["acme-gone-1"] and doc["ratio_ppm"] == 500000
    assert [p["model"] for p in doc["prices"]] == ["acme-keep-1", "acme-vid-*"]
    assert doc["prices"][1]["video_text"] == "768P/6s=0.30, 1080P=0.10/s"
    listed = admin.get(API + "/admin/prices").json()
    rows = {p["model"]: p for p in listed["prices"]}
    assert "acme-gone-1" not in rows and rows["acme-keep-1"]["source"] == "database"
    assert rows["MiniMax-M2.7"]["source"] == "built-in or config"  # the seed's rows are not the database's
    assert listed["ratio_ppm"] == 500000
    assert price_of(s, "acme-keep-1")["input_per_mtok_micros"] == 1000000  # 2.00 at 50 %
    assert chat(pf.gw, key, body=dict(BODY, model="acme-gone-1")).status_code == 400  # this node has it at once
    r = chat(pf.gw, key, body=dict(BODY, model="acme-keep-1"), headers={"x-sim-tokens": "10"})
    assert r.status_code == 200, r.text
    (row,) = pf.gw.wait_usage(r.headers["x-request-id"])
    official = (row["input_tokens"] * 2000000 + row["output_tokens"] * 4000000 + 500000) // 1000000
    assert abs(row["cost_micros"] - official * 0.5) <= 1
    # a bad row anywhere: 400 naming it, and nothing changed
    bad = {"ratio_ppm": 100000, "prices": [{"model": "acme-keep-1", "input_per_mtok": 1},
                                            {"model": "acme-x", "input_per_mtok": -5}]}
    code, kind, field = err(admin.request("PUT", API + "/admin/prices", bad))[:3]
    assert (code, kind, field) == (400, "field_invalid", "prices[1].input_per_mtok")
    twice = {"prices": [{"model": "acme-a", "input_per_mtok": 1}, {"model": "acme-a", "input_per_mtok": 2}]}
    assert err(admin.request("PUT", API + "/admin/prices", twice))[2] == "prices[1].model"
    assert err(admin.request("PUT", API + "/admin/prices", {"prices": [{"model": "acme-b"}]}))[:3] == \
        (400, "field_missing", "prices[0]")
    assert err(admin.request("PUT", API + "/admin/prices", {"prices": [{"model": "acme-c", "source": "x",
                                                                        "input_per_mtok": 1}]}))[2] == "prices[0].source"
    assert err(admin.request("PUT", API + "/admin/prices", {}))[:3] == (400, "field_missing", "prices")
    assert err(admin.request("PUT", API + "/admin/prices", {"prices": [{}] * 1001}))[:3] == \
        (400, "field_invalid", "prices")
    assert err(s.request("PUT", API + "/admin/prices", {"ratio_ppm": 1}))[0] == 403
    after = {p["model"]: p for p in admin.get(API + "/admin/prices").json()["prices"]}
    assert after["acme-keep-1"]["input_per_mtok_micros"] == 2000000 and "acme-vid-*" in after
    assert admin.get(API + "/admin/prices").json()["ratio_ppm"] == 500000
    # the ratio alone leaves the rows; [] removes every row of the database
    r = admin.request("PUT", API + "/admin/prices", {"ratio_ppm": 1000000})
    assert r.status_code == 200 and "prices" not in r.json()
    assert "acme-keep-1" in {p["model"] for p in admin.get(API + "/admin/prices").json()["prices"]}
    r = admin.request("PUT", API + "/admin/prices", {"prices": []})
    assert r.status_code == 200 and sorted(r.json()["removed"]) == ["acme-keep-1", "acme-vid-*"]
    left = admin.get(API + "/admin/prices").json()["prices"]
    assert all(p["source"] != "database" for p in left) and any(p["model"] == "MiniMax-M2.7" for p in left)
    assert price_of(s)["input_per_mtok_micros"] == 300000
    types = [e["type"] for e in pf.audit()]
    assert types.count("price.table_set") == 2


def test_export_and_import_with_maxgated(pf):
    """`maxgated admin price export` writes the database's rows and ratio as PUT /admin/prices takes them;
    `import` puts such a document back: a round trip, and a bad file refused with what to fix."""
    gw = pf.gw
    assert gw.admin("price", "set", "--model", "acme-exp-1", "--input", "0.25", "--output", "0.75",
                    "--video-prices", "768P/6s=0.20", check=False).returncode == 0
    assert gw.admin("price", "ratio", "--ratio", "0.40", check=False).returncode == 0
    out = gw.admin("price", "export").stdout
    doc = json.loads(out)
    assert doc["ratio_ppm"] == 400000
    assert {"model": "acme-exp-1", "input_per_mtok": 250000, "output_per_mtok": 750000,
            "video_text": "768P/6s=0.20"} in doc["prices"]
    # edit the document: one more row, another ratio; import makes the database exactly it
    doc["prices"].append({"model": "acme-exp-2", "per_image": 30000})
    doc["ratio_ppm"] = 1000000
    r = gw.admin("price", "import", "--file", "-", input=json.dumps(doc), check=False)
    assert r.returncode == 0, r.stderr
    assert "rows of the database" in r.stderr and "operator ratio 1.00" in r.stderr
    again = json.loads(gw.admin("price", "export").stdout)
    assert again == doc
    bad = gw.admin("price", "import", "--file", "-", input='{"prices": [{"model": "acme-exp-3", "per_image": "x"}]}',
                   check=False)
    assert bad.returncode == 1 and "prices[0].per_image" in bad.stderr
    notjson = gw.admin("price", "import", "--file", "-", input="[1,", check=False)
    assert notjson.returncode == 2 and "is not JSON" in notjson.stderr
    notobj = gw.admin("price", "import", "--file", "-", input="[1]", check=False)
    assert notobj.returncode == 2 and "not a JSON object" in notobj.stderr
    assert json.loads(gw.admin("price", "export").stdout) == doc  # the refused ones changed nothing
    r = gw.admin("price", "import", "--file", "-", input='{"prices": []}', check=False)
    assert r.returncode == 0 and json.loads(gw.admin("price", "export").stdout)["prices"] == []
