"""Fixtures for the auth_db tests: one database per back-end and module."""
import pytest

from openser_py.core import statistics
from openser_py.core.script_state import state
from openser_py.core.usr_avp import reset_avps
from openser_py.modules.auth import auth_mod
from openser_py.modules.sl import sl_funcs
from tests.modules.auth_db import dbenv
from tests.modules.auth_db.data import SUBSCRIBER_KEYS, SUBSCRIBERS


@pytest.fixture(scope="module", params=dbenv.BACKENDS)
def db_url(request, tmp_path_factory):
    """A database with the auth tables and SUBSCRIBERS, per back-end."""
    tmp = tmp_path_factory.mktemp(request.param)
    with dbenv.make_db(request.param, tmp,
                       ["subscriber", "uri", "dbaliases", "domain"]) as url:
        dbenv.insert_rows(url, "subscriber", SUBSCRIBER_KEYS, SUBSCRIBERS)
        yield url


@pytest.fixture(autouse=True)
def clean():
    statistics.reset_registry()
    state.reset()
    reset_avps()
    scripts = []
    yield scripts
    for s in scripts:
        s.registry.destroy_modules()
    auth_mod.destroy()
    sl_funcs.sl_shutdown()
    statistics.reset_registry()
    state.reset()
    reset_avps()
