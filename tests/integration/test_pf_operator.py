"""The operator's side of the platform's administration: `maxgated admin
accounts|access-requests|audit ...` run the platform's own admin routes in
their process (the same code as the API and the console), audit-logged with
the operator as the actor and mail sent through [mail]."""
import glob
import json
import os
import re

import requests

from conftest import UP_GLOBAL
from harness import Gateway, wait_for

PW = "Tq5!vN8#kW2$pZ6m"


def post(gw, path, body):
    return requests.post(gw.url + "/platform/v1" + path, data=json.dumps(body),
                         headers={"content-type": "application/json"}, timeout=30)


def mailed_token(gw, to, page):
    def find():
        for f in sorted(glob.glob(os.path.join(gw.dir, "outbox", "*.eml")), reverse=True):
            text = open(f).read()
            m = re.search(r"/console/%s#token=([A-Za-z0-9_-]{43})" % page, text)
            if m and ("To: " + to) in text:
                return m.group(1)
        return None
    return wait_for(find, what="a %s mail to %s" % (page, to))


def test_operator_commands_share_the_platform_admin_code(sim_global):
    gw = Gateway([("sim", "global", sim_global.url, "UPK", 1)], env={"UPK": UP_GLOBAL},
                 extra={"server": {"public_base_url": "http://links.example:8"}})
    try:
        gw.create_user("carol@example.com")
        key = gw.create_key("carol@example.com")
        assert gw.key_error(key) is None

        listed = json.loads(gw.admin("accounts", "list", "--query", "carol").stdout)
        assert [a["email"] for a in listed["accounts"]] == ["carol@example.com"]

        gw.admin("accounts", "suspend", "--email", "carol@example.com")
        gw.wait_key_state(key, lambda code: code == "ACCOUNT_SUSPENDED")
        shown = json.loads(gw.admin("accounts", "show", "--email", "carol@example.com").stdout)
        assert shown["status"] == "suspended"
        ev = shown["recent_activity"][0]
        assert ev["type"] == "account.suspended" and ev["actor_id"] is None and ev["ip"] == "local"
        gw.admin("accounts", "unsuspend", "--email", "carol@example.com")
        gw.wait_key_state(key, lambda code: code is None)

        r = gw.admin_run("admin", "accounts", "set", "--email", "carol@example.com", "--plan", "gold", check=False)
        assert r.returncode == 1 and "free, professional or enterprise" in r.stderr
        gw.admin("accounts", "set", "--email", "carol@example.com", "--plan", "professional")
        assert json.loads(gw.admin("accounts", "show", "--email", "carol@example.com").stdout)["plan"] == "professional"

        # the reseller's queue: a visitor leaves an email, the operator approves, the mail sets the password
        assert post(gw, "/access-requests", {"email": "dave@example.com", "note": "team of 3"}).status_code == 202
        pending = json.loads(gw.admin("access-requests", "list", "--status", "pending").stdout)["requests"]
        assert [(q["email"], q["note"]) for q in pending] == [("dave@example.com", "team of 3")]
        gw.admin("access-requests", "approve", "--id", str(pending[0]["id"]))
        token = mailed_token(gw, "dave@example.com", "set-password")
        assert post(gw, "/password/set", {"token": token, "new_password": PW}).status_code == 204
        r = post(gw, "/login", {"email": "dave@example.com", "password": PW})
        assert r.status_code == 200 and r.json()["account"]["status"] == "active"
        r = gw.admin_run("admin", "access-requests", "approve", "--id", str(pending[0]["id"]), check=False)
        assert r.returncode == 1 and "already decided" in r.stderr

        audit = json.loads(gw.admin("audit", "--email", "dave@example.com").stdout)["events"]
        assert {"access.approved", "login.success"} <= {e["type"] for e in audit}
        logs = gw.logs()
        assert token not in logs and PW not in logs
    finally:
        gw.stop()
