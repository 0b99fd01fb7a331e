"""The maxgate CLI (issue 3), the real binary against maxgated and the
simulator: seed 001 and 002, every exit code, JSON shapes, profiles, and a
run in a pseudo-terminal."""
import json
import os
import stat
import subprocess
import tempfile

import pytest

from harness import BIN, SAN_ENV, Gateway, Sim, refused_port, wait_for

UP_GL, UP_CN = "cli-upstream-gl", "cli-upstream-cn"


@pytest.fixture(scope="module")
def env():
    sim = Sim("global", keys=[UP_GL])
    sim_cn = Sim("cn", keys=[UP_CN])
    gw = Gateway([("gl", "global", sim.url, "UPG", 1)], env={"UPG": UP_GL},
                 extra={"server": {"cn_base_url": "https://cn.gateway.test"}})
    gw_cn = Gateway([("cn", "cn", sim_cn.url, "UPC", 1)], env={"UPC": UP_CN})
    for g in (gw, gw_cn):
        g.create_user("cli@example.com")
    keys = {"gl": gw.create_key("cli@example.com"), "cn": gw_cn.create_key("cli@example.com", region="cn"),
            "cn_on_gl": gw.create_key("cli@example.com", region="cn", name="cn-here")}
    yield {"sim": sim, "sim_cn": sim_cn, "gw": gw, "gw_cn": gw_cn, "keys": keys}
    gw.stop()
    gw_cn.stop()
    sim.stop()
    sim_cn.stop()


def cli(*args, home=None, extra_env=None, input=None):
    home = home or tempfile.mkdtemp(prefix="mgcli.")
    env = {**os.environ, **SAN_ENV, "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "cfg")}
    env.pop("MAXGATE_API_KEY", None)
    env.pop("MAXGATE_BASE_URL", None)
    env.update(extra_env or {})
    r = subprocess.run([os.path.join(BIN, "maxgate"), *args], capture_output=True, text=True, env=env, cwd=home,
                       timeout=60, input=input)
    r.home = home
    return r


def err_json(r):
    return json.loads(r.stderr.strip().splitlines()[-1])


def test_seed_001_text_chat_succeeds_on_cn(env):
    """mmx sends x-api-key to the cn endpoint and gets 1004/1033; we always send Bearer."""
    sim_cn = env["sim_cn"]
    sim_cn.reset()
    # straight at a cn MiniMax endpoint (the cn simulator)
    r = cli("text", "chat", "--message", "你好", "--api-key", UP_CN, "--base-url", sim_cn.url, "--output", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["content"].startswith("Hello")
    assert sim_cn.requests()[-1]["headers"]["authorization"] == "Bearer " + UP_CN
    # through maxgate with a cn key
    r = cli("text", "chat", "--message", "hi", "--api-key", env["keys"]["cn"], "--base-url", env["gw_cn"].url,
            "--output", "json")
    assert r.returncode == 0, r.stderr


def test_seed_002_cn_key_on_global_base_url_names_the_region(env):
    r = cli("text", "chat", "--message", "hi", "--api-key", env["keys"]["cn_on_gl"], "--base-url", env["gw"].url,
            "--output", "json")
    assert r.returncode == 3
    msg = err_json(r)["error"]["message"]
    assert "region cn" in msg and "https://cn.gateway.test" in msg and "key_wrong_region" in msg


def test_login_saves_profile_0600_and_detects_region(env):
    r = cli("auth", "login", "--api-key", env["keys"]["cn"], "--base-url", env["gw_cn"].url, "--output", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["region"] == "cn" and out["detected_by"] == "from the key"
    assert env["keys"]["cn"] not in r.stdout  # masked
    path = os.path.join(r.home, "cfg", "maxgate", "config.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    r2 = cli("quota", "--output", "json", home=r.home)
    assert r2.returncode == 0 and "model_remains" in r2.stdout
    r3 = cli("auth", "status", "--output", "json", home=r.home)
    assert json.loads(r3.stdout)["region"] == "cn"
    r4 = cli("auth", "logout", home=r.home)
    assert r4.returncode == 0
    r5 = cli("quota", home=r.home)
    assert r5.returncode == 3


def test_login_rejects_bad_keys_without_saving(env):
    bad = env["keys"]["gl"][:-1] + ("A" if env["keys"]["gl"][-1] != "A" else "B")
    r = cli("auth", "login", "--api-key", bad, "--base-url", env["gw"].url)
    assert r.returncode == 3 and "malformed" in r.stderr
    assert not os.path.exists(os.path.join(r.home, "cfg", "maxgate", "config.json"))
    r = cli("auth", "login", "--api-key", env["keys"]["gl"])  # a maxgate key needs its server
    assert r.returncode == 2 and "--base-url" in r.stderr


def test_profiles(env):
    home = tempfile.mkdtemp()
    assert cli("auth", "login", "--api-key", env["keys"]["gl"], "--base-url", env["gw"].url, home=home).returncode == 0
    assert cli("auth", "login", "--profile", "cn", "--api-key", env["keys"]["cn"], "--base-url", env["gw_cn"].url,
               home=home).returncode == 0
    # the last login became current; --profile and MAXGATE_PROFILE pick another
    assert json.loads(cli("auth", "status", "--output", "json", home=home).stdout)["profile"] == "cn"
    r = cli("auth", "status", "--output", "json", "--profile", "default", home=home)
    assert json.loads(r.stdout)["region"] == "global"
    r = cli("auth", "status", "--output", "json", home=home, extra_env={"MAXGATE_PROFILE": "default"})
    assert json.loads(r.stdout)["profile"] == "default"
    r = cli("config", "show", home=home)
    assert env["keys"]["gl"] not in r.stdout and env["keys"]["cn"] not in r.stdout
    assert cli("config", "set", "--key", "output", "--value", "json", home=home).returncode == 0


def test_exit_codes(env):
    gw, k = env["gw"], env["keys"]["gl"]
    base = ["--api-key", k, "--base-url", gw.url, "--output", "json"]
    assert cli("text", "chat", "--message", "hi", *base).returncode == 0
    assert cli("text", "chat", *base).returncode == 2                       # usage: no message
    assert cli("text", "chat", "--mesage", "hi", *base).returncode == 2     # usage: unknown option
    assert cli("nonsense", *base).returncode == 2
    r = cli("text", "chat", "--message", "hi", "--model", "sim-500", *base)
    assert r.returncode == 1 and err_json(r)["error"]["code"] == 1
    assert cli("text", "chat", "--message", "hi", "--api-key", "mgk_gl_" + "A" * 50, "--base-url", gw.url).returncode == 3
    r = cli("text", "chat", "--message", "hi", "--model", "sim-429", *base)
    assert r.returncode == 4
    r = cli("text", "chat", "--message", "hi", "--model", "sim-br1002", *base)
    assert r.returncode == 4, r.stderr  # 1002 is a rate limit, not a content filter
    r = cli("text", "chat", "--message", "hi", "--model", "sim-br1026", *base)
    assert r.returncode == 10
    r = cli("text", "chat", "--message", "hi", "--model", "sim-slow", "--timeout", "1", *base)
    assert r.returncode == 5
    r = cli("text", "chat", "--message", "hi", "--api-key", k, "--base-url", "http://127.0.0.1:%d" % refused_port())
    assert r.returncode == 6


def test_cap_and_revocation_are_told_apart(env):
    gw = env["gw"]
    gw.create_user("capped@example.com")
    k = gw.create_key("capped@example.com")
    gw.admin("user", "set-cap", "--email", "capped@example.com", "--cap", "0.000001")
    base = ["--api-key", k, "--base-url", gw.url, "--output", "json"]
    cli("text", "chat", "--message", "hi", *base)  # spends past the cap
    r = until_exit(4, "text", "chat", "--message", "hi", *base)  # the cap reaches the key cache within 250 ms
    assert "cap_reached" in err_json(r)["error"]["message"]
    gw.admin("key", "revoke", "--id", k[7:19])
    r = until_exit(3, "text", "chat", "--message", "hi", *base)
    assert "key_revoked" in err_json(r)["error"]["message"]


def until_exit(code, *args):
    """Runs the CLI until it exits with `code` (server-side changes propagate
    within the key cache's poll)."""
    last = []

    def exited():
        last[:] = [cli(*args)]
        return last[0] if last[0].returncode == code else None
    try:
        return wait_for(exited, what="the CLI to exit %d" % code)
    except AssertionError as e:
        raise AssertionError("%s; last exit %d, stderr: %s" % (e, last[0].returncode, last[0].stderr)) from None


def test_json_shapes_and_files(env):
    gw, k = env["gw"], env["keys"]["gl"]
    home = tempfile.mkdtemp()
    base = ["--api-key", k, "--base-url", gw.url, "--output", "json"]
    ca = {"MAXGATE_CA_BUNDLE": env["sim"].cert}
    r = cli("text", "chat", "--message", "system: be brief", "--message", "hi", "--stream", *base, home=home)
    assert json.loads(r.stdout) == {"content": "Hello! I am a simulated MiniMax model"}
    r = cli("speech", "synthesize", "--text", "hello", "--out", "s.mp3", *base, home=home)
    out = json.loads(r.stdout)
    assert out["saved"] == "s.mp3" and out["characters"] == 5
    assert open(os.path.join(home, "s.mp3"), "rb").read()[:2] == b"\xff\xfb"
    r = cli("speech", "synthesize", "--text", "hello", "--out", "t.mp3", "--stream", *base, home=home)
    # the final aggregated frame is not written again (mmx writes it twice)
    assert json.loads(r.stdout)["bytes"] == 32
    r = cli("speech", "voices", *base, home=home)
    assert "English_expressive_narrator" in json.loads(r.stdout)
    r = cli("image", "generate", "--prompt", "cat", "--n", "2", "--out-dir", ".", *base, home=home, extra_env=ca)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["saved"]) == 2
    r = cli("video", "generate", "--prompt", "cat", "--no-wait", *base, home=home)
    task = json.loads(r.stdout)["task_id"]
    r = cli("video", "task", "get", "--task-id", task, *base, home=home)
    assert json.loads(r.stdout)["status"] == "Preparing"
    r = cli("video", "generate", "--prompt", "cat", "--poll-interval", "0.05", "--download", "v.mp4", *base,
            home=home, extra_env=ca)
    assert r.returncode == 0, r.stderr
    assert open(os.path.join(home, "v.mp4"), "rb").read()[4:8] == b"ftyp"
    r = cli("video", "generate", "--prompt", "please fail", "--poll-interval", "0.05", *base, home=home)
    # the simulated failure carries MiniMax's 1026 (input flagged): a content-filter exit
    assert r.returncode == 10 and "new_sensitive" in err_json(r)["error"]["message"]
    r = cli("music", "generate", "--prompt", "jazz", "--out", "m.mp3", *base, home=home)
    assert json.loads(r.stdout)["saved"] == "m.mp3"
    r = cli("file", "upload", "--file", "s.mp3", "--purpose", "voice_clone", *base, home=home)
    fid = str(json.loads(r.stdout)["file_id"])
    assert fid in cli("file", "list", *base, home=home).stdout
    r = cli("voice", "clone", "--file-id", fid, "--voice-id", "CliVoice01", *base, home=home)
    assert json.loads(r.stdout)["voice_id"] == "CliVoice01"
    assert cli("file", "delete", "--file-id", fid, *base, home=home).returncode == 0


def test_verbose_masks_the_key(env):
    k = env["keys"]["gl"]
    r = cli("quota", "--verbose", "--api-key", k, "--base-url", env["gw"].url)
    assert "> GET " in r.stderr and k[:19] in r.stderr and k not in r.stderr


def test_terminal_progress_and_no_binary_on_terminal(env):
    """In a pseudo-terminal: video generation shows a progress line, and speech
    goes to a file, never to the terminal."""
    gw, k = env["gw"], env["keys"]["gl"]
    home = tempfile.mkdtemp()
    e = {**os.environ, **SAN_ENV, "HOME": home, "XDG_CONFIG_HOME": home, "MAXGATE_CA_BUNDLE": env["sim"].cert}
    mg = os.path.join(BIN, "maxgate")
    cmd = "%s video generate --prompt cat --poll-interval 0.05 --api-key %s --base-url %s" % (mg, k, gw.url)
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, env=e, cwd=home, timeout=60)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, out
    assert "\r" in out and "Processing" in out and "Saved video-" in out
    cmd = "%s speech synthesize --text hello --api-key %s --base-url %s" % (mg, k, gw.url)
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, env=e, cwd=home, timeout=60)
    assert r.returncode == 0
    assert b"\xff\xfb" not in r.stdout and b"Saved 32 bytes" in r.stdout
    assert [f for f in os.listdir(home) if f.startswith("speech-")]
    # on a pipe: no progress line
    r = subprocess.run(cmd.replace("speech synthesize --text hello", "video generate --prompt cat --poll-interval 0.05")
                       .split(), capture_output=True, env=e, cwd=home, timeout=60)
    assert r.returncode == 0 and "\r" not in r.stderr.decode()


def test_minimax_keys_region_is_detected_and_named(env):
    """Against MiniMax itself (the two simulators stand in for the regions'
    hosts): login probes both regions and says which one took the key; a call
    with the wrong --region is told the key's region, never a silent 401."""
    hosts = {"MAXGATE_GLOBAL_URL": env["sim"].url, "MAXGATE_CN_URL": env["sim_cn"].url}
    r = cli("auth", "login", "--api-key", UP_CN, "--output", "json", extra_env=hosts)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["region"] == "cn" and out["detected_by"] == "detected by probing both regions"
    r = cli("text", "chat", "--message", "hi", "--api-key", UP_CN, "--region", "global", "--output", "json",
            extra_env=hosts)
    assert r.returncode == 3
    assert err_json(r)["error"]["message"] == "this key belongs to cn; use --region cn"
    r = cli("auth", "login", "--api-key", "sk-unknown-key", "--output", "json", extra_env=hosts)
    assert r.returncode == 3 and "nothing was saved" in r.stderr
    assert not os.path.exists(os.path.join(r.home, "cfg", "maxgate", "config.json"))


def test_interrupt_exits_130(env):
    """Ctrl-C while waiting for a video: exit 130 (PRODUCT.md section 6)."""
    import signal
    home = tempfile.mkdtemp()
    e = {**os.environ, **SAN_ENV, "HOME": home, "XDG_CONFIG_HOME": home}
    env["sim"].reset()
    p = subprocess.Popen([os.path.join(BIN, "maxgate"), "video", "generate", "--prompt", "cat", "--poll-interval", "30",
                          "--api-key", env["keys"]["gl"], "--base-url", env["gw"].url], env=e, cwd=home,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: [q for q in env["sim"].requests() if q["path"] == "/v1/query/video_generation"],
             what="the CLI's first poll (then it is waiting)")
    p.send_signal(signal.SIGINT)
    assert p.wait(10) == 130
