"""The official MiniMax CLI (mmx-cli 1.0.27) against maxgated, pinned to a
region so it never probes MiniMax's own hosts (CLIENTS.md section 1)."""
import json
import os
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Gateway, Sim  # noqa: E402

MMX = os.path.join(HERE, "node_modules", ".bin", "mmx")
UP_GL, UP_CN = "mmx-upstream-gl", "mmx-upstream-cn"


@pytest.fixture(scope="module")
def env():
    sim = Sim("global", keys=[UP_GL])
    sim_cn = Sim("cn", keys=[UP_CN])
    gw = Gateway([("gl", "global", sim.url, "UPG", 1), ("cn", "cn", sim_cn.url, "UPC", 1)],
                 env={"UPG": UP_GL, "UPC": UP_CN})
    gw.create_user("mmx@example.com")
    keys = {"global": gw.create_key("mmx@example.com", region="gl"),
            "cn": gw.create_key("mmx@example.com", region="cn")}
    yield sim, sim_cn, gw, keys
    gw.stop()
    sim.stop()
    sim_cn.stop()


def mmx(env, *args, region="global"):
    sim, sim_cn, gw, keys = env
    home = tempfile.mkdtemp(prefix="mmxhome.")
    e = {**os.environ, "HOME": home, "MMX_CONFIG_DIR": os.path.join(home, ".mmx"), "CI": "1",
         "NODE_EXTRA_CA_CERTS": sim.cert}
    r = subprocess.run([MMX, *args, "--region", region, "--base-url", gw.url, "--api-key", keys[region],
                        "--output", "json"], capture_output=True, text=True, timeout=120, env=e, cwd=home)
    return r, home


def out_json(r):
    return json.loads(r.stdout)


def test_quota(env):
    r, _ = mmx(env, "quota")
    assert r.returncode == 0, r.stderr
    assert "maxgate-budget" in r.stdout


def test_text_chat_plain_and_stream_with_x_api_key(env):
    sim = env[0]
    sim.reset()
    r, _ = mmx(env, "text", "chat", "--message", "hi")
    assert r.returncode == 0, r.stderr
    assert "Hello" in r.stdout
    r, _ = mmx(env, "text", "chat", "--message", "hi", "--stream")
    assert r.returncode == 0, r.stderr
    assert "Hello" in r.stdout
    for q in sim.requests():
        assert q["headers"]["authorization"] == "Bearer " + UP_GL and "x-api-key" not in q["headers"]


def test_text_chat_on_cn_succeeds(env):
    """Seed 001: mmx sends x-api-key, which MiniMax's cn endpoint rejects; the
    gateway forwards Bearer, so the chat works."""
    sim_cn = env[1]
    sim_cn.reset()
    r, _ = mmx(env, "text", "chat", "--message", "你好", region="cn")
    assert r.returncode == 0, r.stderr
    assert "Hello" in r.stdout
    assert sim_cn.requests()[-1]["headers"]["authorization"] == "Bearer " + UP_CN


def test_speech_and_voices(env):
    r, home = mmx(env, "speech", "synthesize", "--text", "hello", "--out", "out.mp3")
    assert r.returncode == 0, r.stderr
    data = open(os.path.join(home, "out.mp3"), "rb").read()
    assert data[:2] == b"\xff\xfb" and len(data) == 32
    r, _ = mmx(env, "speech", "voices")
    assert r.returncode == 0 and "English_expressive_narrator" in r.stdout


def test_image_generate_downloads(env):
    r, home = mmx(env, "image", "generate", "--prompt", "cat", "--out-dir", "img")
    assert r.returncode == 0, r.stderr
    files = os.listdir(os.path.join(home, "img"))
    assert files and open(os.path.join(home, "img", files[0]), "rb").read()[:4] == b"\x89PNG"


def test_video_generate_through_download(env):
    r, home = mmx(env, "video", "generate", "--prompt", "a cat", "--poll-interval", "1", "--download", "v.mp4")
    assert r.returncode == 0, r.stderr
    assert open(os.path.join(home, "v.mp4"), "rb").read()[4:8] == b"ftyp"
    task = out_json(r)["task_id"]
    rows = env[2].wait_usage("video-" + str(task))
    assert len(rows) == 1


def test_video_no_wait_and_task_get(env):
    r, _ = mmx(env, "video", "generate", "--prompt", "x", "--no-wait")
    assert r.returncode == 0, r.stderr
    task = out_json(r)["taskId"]
    r, _ = mmx(env, "video", "task", "get", "--task-id", task)
    assert r.returncode == 0 and task in r.stdout


def test_file_upload_and_list(env):
    sim, sim_cn, gw, keys = env
    path = os.path.join(tempfile.mkdtemp(), "up.txt")
    open(path, "w").write("hello upload")
    r, _ = mmx(env, "file", "upload", "--file", path)
    assert r.returncode == 0, r.stderr
    r, _ = mmx(env, "file", "list")
    assert r.returncode == 0 and "up.txt" in r.stdout


def test_bad_key_exit_code(env):
    sim, sim_cn, gw, keys = env
    home = tempfile.mkdtemp()
    r = subprocess.run([MMX, "text", "chat", "--message", "hi", "--region", "global", "--base-url", gw.url,
                        "--api-key", "mgk_gl_" + "A" * 50, "--output", "json"], capture_output=True, text=True,
                       timeout=60, env={**os.environ, "HOME": home, "MMX_CONFIG_DIR": home, "CI": "1"})
    assert r.returncode == 3
