"""Each test gets a fresh shm arena, statistics and usrloc domains."""
import pytest

from tests.modules.registrar.reg_util import clean_env, fresh_env


@pytest.fixture(autouse=True)
def env():
    fresh_env()
    yield
    clean_env()
