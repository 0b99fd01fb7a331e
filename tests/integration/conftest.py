import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Gateway, Sim, stop_leftovers  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    n = stop_leftovers()
    if n:
        print("\nharness: stopped %d server(s) a test left running" % n)

UP_GLOBAL = "upstream-global-key-123"
UP_CN = "upstream-cn-key-456"


@pytest.fixture(scope="module")
def sim_global():
    s = Sim("global", keys=[UP_GLOBAL])
    yield s
    s.stop()


@pytest.fixture(scope="module")
def sim_cn():
    s = Sim("cn", keys=[UP_CN])
    yield s
    s.stop()


@pytest.fixture(scope="module")
def gateway(sim_global):
    g = Gateway([("sim", "global", sim_global.url, "UP_GLOBAL", 1)], env={"UP_GLOBAL": UP_GLOBAL},
                extra={"server": {"cn_base_url": "https://cn.gateway.test"}})
    g.create_user("alice@example.com")
    g.create_user("bob@example.com")
    yield g
    assert g.stop() == 0


@pytest.fixture(scope="module")
def key(gateway):
    return gateway.create_key("alice@example.com")


@pytest.fixture(scope="module")
def bob_key(gateway):
    return gateway.create_key("bob@example.com")
