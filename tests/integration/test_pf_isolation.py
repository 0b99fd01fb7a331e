"""The platform's work never starves the gateway (issue 9, "Work queues"): a
login storm fills the platform's own bounded queue ([server] platform_queue)
and its extra calls get 503 overloaded with Retry-After, while API calls
through the gateway, sent during the storm, all succeed."""
import json
import threading

import requests

from conftest import UP_GLOBAL
from harness import Gateway, chat

STORM = 40


def test_login_storm_fills_the_platform_queue_not_the_gateways(sim_global):
    gw = Gateway([("sim", "global", sim_global.url, "UPK", 1)], env={"UPK": UP_GLOBAL},
                 extra={"server": {"platform_workers": "1", "platform_queue": "2", "threads": "2"}})
    try:
        gw.create_user("busy@example.com")
        key = gw.create_key("busy@example.com")
        gw.make_admin("stormed@example.com")
        barrier = threading.Barrier(STORM + 10)
        logins, chats = [], []

        def login():
            barrier.wait()
            r = requests.post(gw.url + "/platform/v1/login", timeout=120,
                              data=json.dumps({"email": "stormed@example.com", "password": "wrong-Pa55word!"}),
                              headers={"content-type": "application/json"})
            logins.append((r.status_code, r.headers.get("retry-after"), r.json()["error"]["code"]))

        def call():
            barrier.wait()
            r = chat(gw, key)
            chats.append(r.status_code)

        threads = [threading.Thread(target=login) for _ in range(STORM)] + \
                  [threading.Thread(target=call) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert chats == [200] * 10, chats
        overloaded = [x for x in logins if x[0] == 503]
        assert overloaded, "a queue of 2 behind one worker must refuse some of %d logins at once" % STORM
        assert all(x[1] == "1" and x[2] == "overloaded" for x in overloaded)
        assert all(x[0] in (401, 503) for x in logins), logins  # locked or not, one generic 401
        # the storm is over: the platform answers again
        r = requests.get(gw.url + "/platform/v1/config", timeout=30)
        assert r.status_code == 200
    finally:
        gw.stop()
