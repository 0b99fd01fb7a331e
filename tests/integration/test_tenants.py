"""GW-6: tenants are isolated.  Every route that takes an id (in the query or the body) is walked with a
second account: 404 RESOURCE_NOT_FOUND, and the upstream is not asked; the owner's own account still works.
Lists show each account only its own entries.  System voices keep working for everyone."""
import requests

from harness import chat

SYSTEM_VOICE = "English_expressive_narrator"


def get(gw, key, path):
    return requests.get(gw.url + path, headers={"authorization": "Bearer " + key}, timeout=10)


def upload(gw, key, name, purpose="voice_clone"):
    files = {"file": (name, b"RIFF....WAVEfmt sample", "application/octet-stream")}
    r = requests.post(gw.url + "/v1/files/upload", files=files, data={"purpose": purpose},
                      headers={"authorization": "Bearer " + key}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["file"]["file_id"]


def post(gw, key, path, body):
    return chat(gw, key, path=path, body=body)


def refused(gw, sim, r):
    """404 RESOURCE_NOT_FOUND in the family's shape, and nothing reached the upstream."""
    assert r.status_code == 404, r.text
    assert r.json()["base_resp"]["status_code"] == 2013
    assert r.json()["base_resp"]["status_msg"].startswith("Not found for this account")
    assert sim.requests() == []


def listed(gw, key):
    r = get(gw, key, "/v1/files/list")
    assert r.status_code == 200, r.text
    assert r.json()["base_resp"]["status_code"] == 0
    return sorted(f["file_id"] for f in r.json()["files"])


def voices(gw, key):
    r = post(gw, key, "/v1/get_voice", {"voice_type": "all"})
    assert r.status_code == 200, r.text
    d = r.json()
    return ([v["voice_id"] for v in d["system_voice"]], sorted(v["voice_id"] for v in d["voice_cloning"]),
            sorted(v["voice_id"] for v in d["voice_generation"]))


def speech(voice=None, weights=None, **extra):
    b = {"model": "speech-2.8-hd", "text": "hello"}
    if voice is not None:
        b["voice_setting"] = {"voice_id": voice, "speed": 1}
    if weights is not None:
        b["timbre_weights"] = [{"voice_id": v, "weight": 1} for v in weights]
    b.update(extra)
    return b


def test_every_route_that_takes_an_id_refuses_another_account(gateway, key, bob_key, sim_global):
    sim = sim_global
    fid = upload(gateway, key, "alice.wav")
    prompt = upload(gateway, key, "alice-prompt.wav", purpose="prompt_audio")
    bob_fid = upload(gateway, bob_key, "bob.wav")
    r = post(gateway, key, "/v1/voice_clone", {"file_id": fid, "voice_id": "AliceClone01",
                                                "clone_prompt": {"prompt_audio": prompt, "prompt_text": "hi"}})
    assert r.status_code == 200, r.text
    r = post(gateway, key, "/v1/voice_design", {"prompt": "warm", "preview_text": "hi", "voice_id": "AliceDesign01"})
    assert r.status_code == 200 and r.json()["voice_id"] == "AliceDesign01"
    video = post(gateway, key, "/v1/video_generation", {"model": "MiniMax-Hailuo-2.3", "prompt": "a cat"}).json()
    vtask = video["task_id"]
    stask = str(post(gateway, key, "/v1/t2a_async_v2", speech()).json()["task_id"])

    bob_tries = [
        ("GET", "/v1/files/retrieve?file_id=%s" % fid, None),
        ("GET", "/v1/files/retrieve_content?file_id=%s" % fid, None),
        ("POST", "/v1/files/delete", {"file_id": fid, "purpose": "voice_clone"}),
        ("GET", "/v1/query/video_generation?task_id=" + vtask, None),
        ("GET", "/v1/query/t2a_async_query_v2?task_id=" + stask, None),
        # voice_clone from Alice's sample, with Alice's prompt audio, or over Alice's voice id
        ("POST", "/v1/voice_clone", {"file_id": fid, "voice_id": "BobClone0001"}),
        ("POST", "/v1/voice_clone", {"file_id": str(fid), "voice_id": "BobClone0001"}),
        ("POST", "/v1/voice_clone", {"file_id": bob_fid, "voice_id": "BobClone0001",
                                     "clone_prompt": {"prompt_audio": prompt, "prompt_text": "hi"}}),
        ("POST", "/v1/voice_clone", {"file_id": bob_fid, "voice_id": "AliceClone01"}),
        # synthesis with Alice's voices, however they are named
        ("POST", "/v1/t2a_v2", speech("AliceClone01")),
        ("POST", "/v1/t2a_v2", speech("AliceDesign01", stream=True)),
        ("POST", "/v1/t2a_v2", speech(SYSTEM_VOICE, weights=[SYSTEM_VOICE, "AliceClone01"])),
        ("POST", "/v1/t2a_async_v2", speech("AliceClone01")),
        ("POST", "/v1/t2a_async_v2", speech(weights=["AliceDesign01"])),
        ("POST", "/v1/t2a_async_v2", speech(text_file_id=fid)),
        ("POST", "/v1/delete_voice", {"voice_type": "voice_cloning", "voice_id": "AliceClone01"}),
        ("POST", "/v1/voice_design", {"prompt": "x", "preview_text": "hi", "voice_id": "AliceDesign01"}),
    ]
    for method, path, body in bob_tries:
        sim.reset()
        r = get(gateway, bob_key, path) if method == "GET" else post(gateway, bob_key, path, body)
        refused(gateway, sim, r)

    # the owner's account still works on every one of them (delete last)
    for method, path, body in [
        ("GET", "/v1/files/retrieve?file_id=%s" % fid, None),
        ("GET", "/v1/files/retrieve_content?file_id=%s" % fid, None),
        ("GET", "/v1/query/video_generation?task_id=" + vtask, None),
        ("GET", "/v1/query/t2a_async_query_v2?task_id=" + stask, None),
        ("POST", "/v1/voice_clone", {"file_id": fid, "voice_id": "AliceClone02",
                                     "clone_prompt": {"prompt_audio": prompt, "prompt_text": "hi"}}),
        ("POST", "/v1/t2a_v2", speech("AliceClone01", weights=["AliceClone02", SYSTEM_VOICE])),
        ("POST", "/v1/t2a_v2", speech("AliceDesign01", stream=True)),
        ("POST", "/v1/t2a_async_v2", speech("AliceClone01", text_file_id=fid)),
        ("POST", "/v1/delete_voice", {"voice_type": "voice_cloning", "voice_id": "AliceClone02"}),
        ("POST", "/v1/files/delete", {"file_id": fid, "purpose": "voice_clone"}),
    ]:
        sim.reset()
        r = get(gateway, key, path) if method == "GET" else post(gateway, key, path, body)
        assert r.status_code == 200, (path, r.text)
        assert [q["path"] for q in sim.requests()] == [path.split("?")[0]]


def test_system_voices_work_for_every_account(gateway, key, bob_key, sim_global):
    for k in (key, bob_key):
        sim_global.reset()
        r = post(gateway, k, "/v1/t2a_v2", speech(SYSTEM_VOICE, weights=["Chinese_calm_female", SYSTEM_VOICE]))
        assert r.status_code == 200, r.text
        assert len(sim_global.requests()) == 1
    # a voice nobody owns here is passed on: the upstream decides (system voices are not recorded)
    assert post(gateway, bob_key, "/v1/t2a_v2", speech("Some_future_system_voice")).status_code == 200


def test_files_list_shows_each_account_only_its_files(gateway, key, bob_key, sim_global):
    a = [upload(gateway, key, "a%d.wav" % i) for i in range(3)]
    b = [upload(gateway, bob_key, "b%d.wav" % i) for i in range(2)]
    upstream = requests.get(sim_global.url + "/v1/files/list", timeout=5,
                            headers={"authorization": "Bearer " + sim_global.keys[0]}).json()["files"]
    assert set(a + b) <= {f["file_id"] for f in upstream}  # the upstream account holds them all
    mine, bobs = listed(gateway, key), listed(gateway, bob_key)
    assert set(a) <= set(mine) and not set(b) & set(mine)
    assert set(b) <= set(bobs) and not set(a) & set(bobs)
    # a finished video's file becomes its owner's and shows in its owner's list only
    task = post(gateway, key, "/v1/video_generation", {"model": "MiniMax-Hailuo-2.3", "prompt": "dog"}).json()["task_id"]
    done = None
    for _ in range(6):  # the sim moves a task one state per query
        r = get(gateway, key, "/v1/query/video_generation?task_id=" + task).json()
        if r["status"] == "Success":
            done = int(r["file_id"])
            break
    assert done is not None
    assert done in listed(gateway, key) and done not in listed(gateway, bob_key)
    # a third account with nothing sees an empty list, not an error
    gateway.create_user("carol-files@example.com")
    carol = gateway.create_key("carol-files@example.com")
    assert listed(gateway, carol) == []


def test_get_voice_lists_only_the_callers_custom_voices(gateway, key, bob_key):
    fid = upload(gateway, key, "v.wav")
    assert post(gateway, key, "/v1/voice_clone", {"file_id": fid, "voice_id": "AliceListed01"}).status_code == 200
    bfid = upload(gateway, bob_key, "bv.wav")
    assert post(gateway, bob_key, "/v1/voice_clone", {"file_id": bfid, "voice_id": "BobListed001"}).status_code == 200
    assert post(gateway, bob_key, "/v1/voice_design", {"prompt": "p", "preview_text": "t"}).status_code == 200
    sys_a, cloned_a, gen_a = voices(gateway, key)
    sys_b, cloned_b, gen_b = voices(gateway, bob_key)
    assert SYSTEM_VOICE in sys_a and sys_a == sys_b  # system voices are everyone's
    assert "AliceListed01" in cloned_a and "BobListed001" not in cloned_a
    assert "BobListed001" in cloned_b and "AliceListed01" not in cloned_b
    assert len(gen_b) >= 1 and not set(gen_b) & set(gen_a)


def test_ids_that_cannot_be_checked_are_refused(gateway, key, sim_global):
    fid = upload(gateway, key, "x.wav")
    cases = [
        # the upstream might read the other occurrence, or decode the name: never pass two
        ("GET", "/v1/files/retrieve?file_id=%s&file_id=1" % fid, None),
        ("GET", "/v1/files/retrieve?file%%5Fid=1&file_id=%s" % fid, None),
        ("GET", "/v1/files/retrieve?file_id=", None),
        ("GET", "/v1/files/retrieve", None),
        ("POST", "/v1/voice_clone", {"file_id": float(fid), "voice_id": "AliceFloat01"}),
        ("POST", "/v1/voice_clone", {"file_id": fid, "voice_id": {"id": "x"}}),
        ("POST", "/v1/t2a_v2", speech(weights=["a%d" % i for i in range(9)])),  # more than 8 ids
        ("POST", "/v1/t2a_v2", speech(voice="v" * 300)),
        ("POST", "/v1/delete_voice", {"voice_type": "voice_cloning"}),
        # an id in the query of a route that reads it from the body: the upstream might prefer the query's
        ("POST", "/v1/files/delete?file_id=1", {"file_id": fid, "purpose": "voice_clone"}),
        ("POST", "/v1/t2a_v2?voice%5Fid=AliceClone01", speech(SYSTEM_VOICE)),
    ]
    for method, path, body in cases:
        sim_global.reset()
        r = get(gateway, key, path) if method == "GET" else post(gateway, key, path, body)
        assert r.status_code == 400, (path, body, r.text)
        assert sim_global.requests() == []
    # the canonical form: "000<id>" is checked as the owner's id (the integer it spells)
    sim_global.reset()
    assert get(gateway, key, "/v1/files/retrieve?file_id=000%s" % fid).status_code == 200
    assert len(sim_global.requests()) == 1
