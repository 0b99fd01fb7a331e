"""Issue 12, BL-1: a video is priced by model, resolution and length.  The
operator writes a row's video prices ("768P/6s=0.25, 1080P/10s=0.80",
2K=0.13/s per second) in the API, the console or `maxgated admin price`;
the gateway reads the resolution and duration a video's creation asks,
reserves that video's price against the cap, and bills it when a query
first reports it done; a length and resolution the row does not price is
refused before the upstream is asked."""
import pytest
import requests

from harness import chat
from pfclient import API, Platform, err, fresh_ips, skip_unless_platform

skip_unless_platform()

UP = "upstream-video-prices"
MODEL = "MiniMax-Hailuo-02"


@pytest.fixture(scope="module")
def sim():
    from harness import Sim
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


def new_key(pf, s):
    r = s.post(API + "/keys", {"name": "v"})
    assert r.status_code == 201, r.text
    pf.remember(r.json()["key"])
    return r.json()["key"]


def create(pf, key, **fields):
    return chat(pf.gw, key, path="/v1/video_generation", body=dict({"model": MODEL, "prompt": "a cat"}, **fields))


def finish(pf, key, task):
    """Queries the task until the simulator reports it done (its fourth answer), then its bill."""
    for _ in range(4):
        r = requests.get(pf.gw.url + "/v1/query/video_generation?task_id=" + task,
                         headers={"authorization": "Bearer " + key}, timeout=10)
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "Success"
    (row,) = pf.gw.wait_usage("video-" + task)
    return row


def test_videos_are_billed_by_resolution_and_length(pf):
    admin = pf.admin()
    r = admin.request("PUT", API + "/admin/prices/" + MODEL, {"video_text": "768P/6s=0.25, 1080P/10s=0.80, 2K=0.13/s"})
    assert r.status_code == 200, r.text
    assert r.json()["video_text"] == "768P/6s=0.25, 1080P/10s=0.80, 2K=0.13/s"
    assert r.json()["video"][1] == {"resolution": "1080P", "seconds": 10, "per": "video", "price_micros": 800000,
                                    "price": "0.80"}
    email, _, s = pf.user("video")
    key = new_key(pf, s)
    # the customer sees what they pay per resolution and length (the operator's 40 %)
    aid = pf.account_id(email)
    assert admin.request("PUT", API + "/admin/accounts/%d/price-ratio" % aid, {"ratio_ppm": 400000}).status_code == 200
    (row,) = [p for p in s.get(API + "/prices").json()["prices"] if p["model"] == MODEL]
    assert row["video_text"] == "768P/6s=0.10, 1080P/10s=0.32, 2K=0.052/s"
    assert row["video"][2] == {"resolution": "2K", "seconds": 0, "per": "second", "price_micros": 52000,
                               "price": "0.052"}
    # a 10 s 1080P video costs 0.80 x 40 %; its event says what was billed
    r = create(pf, key, resolution="1080P", duration=10)
    assert r.status_code == 200, r.text
    bill = finish(pf, key, r.json()["task_id"])
    assert (bill["cost_micros"], bill["videos"], bill["video_seconds"], bill["video_res"]) == (320000, 1, 10, "1080P")
    # a 2K video per second; no duration named: MiniMax's default of 6 s
    r = create(pf, key, resolution="2K")
    assert r.status_code == 200, r.text
    bill = finish(pf, key, r.json()["task_id"])
    assert (bill["cost_micros"], bill["video_seconds"]) == (6 * 52000, 6)
    # a length and resolution the row does not price: refused, the upstream not asked
    r = create(pf, key, resolution="768P", duration=10)
    assert r.status_code == 400 and r.json()["base_resp"]["status_code"] == 2013, r.text
    assert "no price for a 10 s video at 768P" in r.text, r.text
    r = create(pf, key)  # no resolution: only a * entry or the row's per-video price would do
    assert r.status_code == 400 and "no price for a 6 s video" in r.text, r.text
    # the request's own fields are checked
    assert create(pf, key, resolution="1080P", duration="ten").status_code == 400
    r = create(pf, key, resolution="10 80P", duration=10)
    assert r.status_code == 400 and "resolution" in r.text


def query(pf, key, task):
    r = requests.get(pf.gw.url + "/v1/query/video_generation?task_id=" + task,
                     headers={"authorization": "Bearer " + key}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["status"]


def refused_by_cap(r, need="0.25"):
    return r.status_code == 429 and r.json()["base_resp"]["status_code"] == 1008 and ("up to " + need) in r.text


def test_the_cap_holds_each_video_until_it_is_billed(pf):
    """BL-3 for videos: a creation holds the price of the video it asks until the query that bills it
    (or reports it failed), so concurrent creations cannot pass the cap together."""
    admin = pf.admin()
    assert admin.request("PUT", API + "/admin/prices/" + MODEL,
                         {"video_text": "768P/6s=0.25, 1080P/10s=0.80"}).status_code == 200
    email, _, s = pf.user("videocap")
    key = new_key(pf, s)
    assert admin.patch(API + "/admin/accounts/%d" % pf.account_id(email), {"plan": "professional"}).status_code == 200
    r = s.request("PUT", API + "/billing/cap", {"cap_micros": 750000})
    assert r.status_code == 200, r.text
    r = create(pf, key, resolution="1080P", duration=10)  # 0.80 does not fit a cap of 0.75
    assert refused_by_cap(r, "0.80"), r.text
    tasks = []
    for prompt in ("a cat", "please fail", "a dog"):  # three videos of 0.25 hold the whole cap
        r = create(pf, key, resolution="768P", duration=6, prompt=prompt)
        assert r.status_code == 200, r.text
        tasks.append(r.json()["task_id"])
    assert refused_by_cap(create(pf, key, resolution="768P", duration=6))
    # the failed one is never billed: its hold goes back when a query reports it
    assert [query(pf, key, tasks[1]) for _ in range(4)][-1] == "Failed"
    r = create(pf, key, resolution="768P", duration=6)
    assert r.status_code == 200, r.text
    # a billed one: its hold becomes its cost, so the cap stays full
    bill = finish(pf, key, tasks[0])
    assert bill["cost_micros"] == 250000
    assert refused_by_cap(create(pf, key, resolution="768P", duration=6))
    r = s.get(API + "/billing/cap")
    assert r.status_code == 200 and r.json()["spent_micros"] == 250000, r.text


def test_bad_video_prices_say_what_to_fix(pf):
    admin = pf.admin()
    url = API + "/admin/prices/acme-video-1"
    code, name, field = err(admin.request("PUT", url, {"video_text": "1080P/10=0.8"}))[:3]
    assert (code, name, field) == (400, "field_invalid", "video_text")
    r = admin.request("PUT", url, {"video_text": "1080P/10=0.8"})
    assert "6s" in r.json()["error"]["message"], r.text
    assert err(admin.request("PUT", url, {"video_text": "768P=0.1, 768p=0.2"}))[2] == "video_text"
    many = ",".join("*/%ds=1" % n for n in range(1, 14))
    r = admin.request("PUT", url, {"video_text": many})
    assert r.status_code == 400 and "at most 12" in r.text
    # the structured form: the same rules
    r = admin.request("PUT", url, {"video": [{"resolution": "2K", "seconds": 5, "per": "video", "price_micros": 650000}]})
    assert r.status_code == 200 and r.json()["video_text"] == "2K/5s=0.65", r.text
    assert err(admin.request("PUT", url, {"video": [{"resolution": "2K", "price_micros": -5}]}))[2] == "video"
    assert err(admin.request("PUT", url, {"video": [{"seconds": 5}]}))[2] == "video"
    assert admin.delete(url).status_code == 204


def test_the_operator_command_sets_video_prices(pf):
    r = pf.gw.admin("price", "set", "--model", "acme-video-2", "--video-prices", "2K=0.13/s, */6s=0.30", check=False)
    assert r.returncode == 0, r.stderr
    listed = pf.gw.admin("price", "list").stdout
    assert "video by resolution/length: 2K=0.13/s, */6s=0.30" in listed, listed
    bad = pf.gw.admin("price", "set", "--model", "acme-video-2", "--video-prices", "2K=abc", check=False)
    assert bad.returncode != 0 and "0.25" in bad.stderr, bad.stderr
    assert pf.gw.admin("price", "remove", "--model", "acme-video-2", check=False).returncode == 0
