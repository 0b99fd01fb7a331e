"""Issue 12 (async tasks): GET /platform/v1/usage/tasks — the signed-in
account's video and speech tasks newest first with the state the gateway
last saw in a query answer ("submitted" before any), paged by cursor,
filtered by kind and key; another account never sees them.  And the usage
log's latency and a video's length and resolution, in JSON and CSV."""
import csv
import io

import pytest
import requests

from harness import Sim, chat, wait_for
from pfclient import API, Platform, err, fresh_ips, skip_unless_platform

skip_unless_platform()

UP = "upstream-pf-tasks-key"
CHAT = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello there"}]}
VIDEO = {"model": "MiniMax-Hailuo-2.3", "prompt": "a cat", "duration": 6, "resolution": "768P"}


@pytest.fixture(scope="module")
def sim():
    s = Sim("global", keys=[UP], tls=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pf(sim):
    p = Platform(accounts={"signup_mode": "open", "reauth_minutes": "600"},
                 channels=[("sim", "global", sim.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP})
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def own_ip(request):
    fresh_ips(request, "pf")


def key_of(pf, s, name):
    r = s.post(API + "/keys", {"name": name})
    assert r.status_code == 201, r.text
    pf.remember(r.json()["key"])
    return r.json()


def tasks(s, **params):
    r = s.get(API + "/usage/tasks", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def task_ids(page):
    return [t["task_id"] for t in page["tasks"]]


def get(pf, key, path):
    return requests.get(pf.gw.url + path, headers={"authorization": "Bearer " + key}, timeout=10)


def make_video(pf, key, body=VIDEO):
    r = chat(pf.gw, key, path="/v1/video_generation", body=body)
    assert r.status_code == 200, r.text
    return r.json()["task_id"]


def state_of(s, task):
    return next(t for t in tasks(s)["tasks"] if t["task_id"] == task)


@pytest.fixture(scope="module")
def world(pf):
    _, _, a = pf.user("ta")
    _, _, b = pf.user("tb")
    ka, ka2, kb = key_of(pf, a, "one"), key_of(pf, a, "two"), key_of(pf, b, "b")
    return {"a": a, "b": b, "ka": ka, "ka2": ka2, "kb": kb}


def test_a_video_goes_from_submitted_to_success(pf, world):
    a, key = world["a"], world["ka"]
    task = make_video(pf, key["key"])
    t = state_of(a, task)  # the owner is recorded before the creation's answer is sent
    assert t["kind"] == "video" and t["model"] == "MiniMax-Hailuo-2.3" and t["key"] == key["id"]
    assert t["state"] == "submitted" and t["state_at"] is None and t["created_at"].endswith("Z")
    assert t["video_seconds"] == 6 and t["video_resolution"] == "768P" and t["billed"] is False
    seen = []
    for _ in range(6):  # the simulator moves a task on one state per query: Preparing .. Success
        status = get(pf, key["key"], "/v1/query/video_generation?task_id=" + task).json()["status"]
        # the state is recorded before the answer is relayed: the list says it at once
        assert state_of(a, task)["state"] == status
        seen.append(status)
        if status == "Success":
            break
    assert seen == ["Preparing", "Queueing", "Processing", "Success"]
    t = state_of(a, task)
    assert t["state_at"].endswith("Z") and t["state_at"] >= t["created_at"]
    wait_for(lambda: state_of(a, task)["billed"], what="the video's bill in the task list")
    # the usage log: the video's event with its length and resolution, and every event's latency
    log = a.get(API + "/usage/log", params={"request_id": "video-" + task}).json()["events"]
    assert len(log) == 1 and log[0]["video_seconds"] == 6 and log[0]["video_resolution"] == "768P"
    assert log[0]["latency_ms"] >= 0


def test_a_failed_video_says_so(pf, world):
    a, key = world["a"], world["ka"]
    task = make_video(pf, key["key"], body={"model": "MiniMax-Hailuo-2.3", "prompt": "please fail"})
    states = [get(pf, key["key"], "/v1/query/video_generation?task_id=" + task).json()["status"] for _ in range(4)]
    assert states[-1] == "Failed"
    t = state_of(a, task)
    assert t["state"] == "Failed" and t["billed"] is False
    assert t["video_seconds"] == 6 and t["video_resolution"] is None  # named neither: MiniMax's default length


def test_speech_tasks_and_the_kind_filter(pf, world):
    a, key = world["a"], world["ka2"]
    r = chat(pf.gw, key["key"], path="/v1/t2a_async_v2", body={"model": "speech-2.8-hd", "text": "long text"})
    assert r.status_code == 200, r.text
    task = str(r.json()["task_id"])
    assert get(pf, key["key"], "/v1/query/t2a_async_query_v2?task_id=" + task).status_code == 200
    speech = tasks(a, kind="speech")["tasks"]
    assert [t["task_id"] for t in speech] == [task]
    t = speech[0]
    assert t["kind"] == "speech" and t["key"] == key["id"] and t["state"] == "processing"
    assert "billed" not in t and "video_seconds" not in t
    assert all(t["kind"] == "video" for t in tasks(a, kind="video")["tasks"])
    assert task_ids(tasks(a, key=key["id"])) == [task]


def test_newest_first_and_pages_to_the_end(pf, world):
    a, key = world["a"], world["ka"]
    made = [make_video(pf, key["key"], body={"model": "MiniMax-Hailuo-2.3", "prompt": "p%d" % i}) for i in range(3)]
    whole = tasks(a)
    assert whole["next_cursor"] is None
    created = [t["created_at"] for t in whole["tasks"]]
    assert created == sorted(created, reverse=True)
    assert set(made) <= set(task_ids(whole))
    got, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = tasks(a, **params)
        pages += 1
        assert len(page["tasks"]) <= 2
        got += task_ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 20
    assert got == task_ids(whole)
    first = tasks(a, kind="video", limit=1)  # a cursor keeps its filters' meaning
    rest = tasks(a, kind="video", cursor=first["next_cursor"])
    assert task_ids(first) + task_ids(rest) == task_ids(tasks(a, kind="video"))


def test_an_account_sees_only_its_own(pf, world):
    a, b = world["a"], world["b"]
    mine = make_video(pf, world["ka"]["key"])
    assert mine in task_ids(tasks(a))
    assert tasks(b) == {"tasks": [], "next_cursor": None}
    assert tasks(b, key=world["ka"]["id"])["tasks"] == []  # naming A's key does not help
    theirs = make_video(pf, world["kb"]["key"])
    assert task_ids(tasks(b)) == [theirs]
    assert theirs not in task_ids(tasks(a))


def test_log_entries_carry_latency_in_json_and_csv(pf, world):
    a, key = world["a"], world["ka"]
    rid = chat(pf.gw, key["key"], body=CHAT).headers["x-request-id"]
    wait_for(lambda: a.get(API + "/usage/log", params={"request_id": rid}).json()["events"],
             what="the chat's usage event")
    ev = a.get(API + "/usage/log", params={"request_id": rid}).json()["events"][0]
    assert isinstance(ev["latency_ms"], int) and ev["latency_ms"] >= 0
    assert "video_seconds" not in ev
    r = a.get(API + "/usage/log.csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][-4:] == ["cost", "latency_ms", "video_seconds", "video_resolution"]
    by_id = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert int(by_id[rid]["latency_ms"]) == ev["latency_ms"] and by_id[rid]["video_resolution"] == ""
    video = next(row for k, row in by_id.items() if k.startswith("video-") and row["video_resolution"])
    assert video["video_seconds"] == "6" and video["video_resolution"] == "768P"


def test_needs_a_session(pf):
    assert err(pf.call("GET", API + "/usage/tasks"))[0] == 401


@pytest.mark.parametrize("param,value", [
    ("limit", "0"), ("limit", "201"), ("limit", "ten"), ("cursor", "!!!"), ("cursor", "bm9jb2xvbg"),
    ("cursor", "MTAwMDp4OjEy"), ("kind", "file"), ("key", "k" * 13),
])
def test_bad_parameters_name_the_parameter(pf, world, param, value):
    r = world["a"].get(API + "/usage/tasks", params={param: value})
    assert err(r) == (400, "field_invalid", param), r.text
    assert r.json()["error"]["message"]
