"""GW-6: async tasks, files and voices belong to the account that made them;
videos are billed once when they succeed, failed ones never."""
import requests

from harness import chat


def get(gw, key, path):
    return requests.get(gw.url + path, headers={"authorization": "Bearer " + key}, timeout=10)


def make_video(gw, key, prompt="a cat"):
    r = chat(gw, key, path="/v1/video_generation", body={"model": "MiniMax-Hailuo-2.3", "prompt": prompt})
    assert r.status_code == 200, r.text
    return r.json()["task_id"]


def test_video_task_is_private_and_billed_once(gateway, key, bob_key):
    task = make_video(gateway, key)
    # another account: as if it did not exist, and upstream is not asked
    r = get(gateway, bob_key, "/v1/query/video_generation?task_id=" + task)
    assert r.status_code == 404 and r.json()["base_resp"]["status_code"] == 2013
    states = [get(gateway, key, "/v1/query/video_generation?task_id=" + task).json()["status"] for _ in range(5)]
    assert states[:4] == ["Preparing", "Queueing", "Processing", "Success"] and states[4] == "Success"
    rows = gateway.wait_usage("video-" + task)
    assert len(rows) == 1 and rows[0]["videos"] == 1 and rows[0]["model"] == "MiniMax-Hailuo-2.3"
    assert rows[0]["cost_micros"] == 250000


def test_failed_video_is_not_billed(gateway, key):
    task = make_video(gateway, key, prompt="please fail")
    states = [get(gateway, key, "/v1/query/video_generation?task_id=" + task).json()["status"] for _ in range(4)]
    assert states[-1] == "Failed"
    later = chat(gateway, key).headers["x-request-id"]
    gateway.wait_usage(later)  # committed in order: a bill for the video would be there by now
    assert not gateway.usage("video-" + task)


def test_unknown_task_is_404(gateway, key):
    r = get(gateway, key, "/v1/query/video_generation?task_id=999999")
    assert r.status_code == 404
    r = get(gateway, key, "/v1/query/video_generation")
    assert r.status_code == 400


def test_files_are_private(gateway, key, bob_key):
    files = {"file": ("notes.txt", b"hello file", "application/octet-stream")}
    r = requests.post(gateway.url + "/v1/files/upload", files=files, data={"purpose": "retrieval"},
                      headers={"authorization": "Bearer " + key}, timeout=10)
    assert r.status_code == 200, r.text
    fid = str(r.json()["file"]["file_id"])
    assert get(gateway, key, "/v1/files/retrieve?file_id=" + fid).status_code == 200
    assert get(gateway, bob_key, "/v1/files/retrieve?file_id=" + fid).status_code == 404
    r = chat(gateway, bob_key, path="/v1/files/delete", body={"file_id": int(fid), "purpose": "retrieval"})
    assert r.status_code == 404
    r = chat(gateway, key, path="/v1/files/delete", body={"file_id": int(fid), "purpose": "retrieval"})
    assert r.status_code == 200
    assert get(gateway, key, "/v1/files/retrieve?file_id=" + fid).status_code == 404


def test_speech_task_and_voice_are_private(gateway, key, bob_key):
    r = chat(gateway, key, path="/v1/t2a_async_v2", body={"model": "speech-2.8-hd", "text": "long text"})
    task = str(r.json()["task_id"])
    assert get(gateway, bob_key, "/v1/query/t2a_async_query_v2?task_id=" + task).status_code == 404
    assert get(gateway, key, "/v1/query/t2a_async_query_v2?task_id=" + task).status_code == 200
    files = {"file": ("sample.wav", b"RIFF sample", "application/octet-stream")}
    r = requests.post(gateway.url + "/v1/files/upload", files=files, data={"purpose": "voice_clone"},
                      headers={"authorization": "Bearer " + key}, timeout=10)
    fid = r.json()["file"]["file_id"]
    r = chat(gateway, key, path="/v1/voice_clone", body={"file_id": fid, "voice_id": "AliceVoice01"})
    assert r.status_code == 200
    r = chat(gateway, bob_key, path="/v1/delete_voice", body={"voice_type": "voice_cloning", "voice_id": "AliceVoice01"})
    assert r.status_code == 404
    r = chat(gateway, key, path="/v1/delete_voice", body={"voice_type": "voice_cloning", "voice_id": "AliceVoice01"})
    assert r.status_code == 200
