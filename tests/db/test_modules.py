"""The driver modules: loadable from a config under their 1.3 and new
names, with the DB API as their exported api."""
import pytest

from openser_py.core import statistics
from openser_py.core.script_state import state
from openser_py.core.scriptrun import load_script
from openser_py.core.sr_module import ModuleRegistry
from openser_py.db import api
from openser_py.modules.db_mysql import dbase as mysql_dbase
from openser_py.modules.db_sqlite import dbase as sqlite_dbase
from openser_py.sr_module import load_module_api
from openser_py.tools.modcheck import check_exports

DRIVERS = ["db_sqlite", "db_mysql", "db_postgres", "mysql", "postgres"]


@pytest.fixture(autouse=True)
def clean():
    statistics.reset_registry()
    state.reset()
    yield
    statistics.reset_registry()
    state.reset()


@pytest.mark.parametrize("name", DRIVERS)
def test_module_loads_and_exports_a_db_api(name):
    mod = ModuleRegistry().load(name + ".so")
    assert mod.exports.name == name
    assert isinstance(mod.exports.api, api.DbFunctions)
    assert check_exports(mod.exports) == []


def test_loadmodule_in_a_config_and_bind_by_url():
    load_script('loadmodule "db_sqlite.so"\nloadmodule "mysql.so"\n'
                'loadmodule "postgres.so"\n'
                'modparam("mysql", "ping_interval", 600)\n'
                'modparam("mysql", "auto_reconnect", 0)\n'
                'modparam("db_sqlite", "busy_timeout", 250)\n'
                'route {\n  exit;\n}\n')
    try:
        assert mysql_dbase.cfg.ping_interval == 600
        assert mysql_dbase.cfg.auto_reconnect == 0
        assert sqlite_dbase.cfg.busy_timeout == 250
        assert load_module_api("mysql") is api.bind_dbmod("mysql://u@h/d")
        assert load_module_api("postgres") is \
            api.bind_dbmod("postgres://u@h/d")
        assert load_module_api("db_sqlite") is \
            api.bind_dbmod("sqlite:///x.db")
    finally:
        # the next config starts from the defaults again
        load_script('loadmodule "mysql.so"\nloadmodule "db_sqlite.so"\n'
                    'route {\n  exit;\n}\n')
    assert mysql_dbase.cfg.ping_interval == 300
    assert mysql_dbase.cfg.auto_reconnect == 1
    assert sqlite_dbase.cfg.busy_timeout == 5000


def test_unknown_modparam_is_refused():
    with pytest.raises(ValueError):
        load_script('loadmodule "db_postgres.so"\n'
                    'modparam("db_postgres", "ping_interval", 1)\n'
                    'route {\n  exit;\n}\n')
