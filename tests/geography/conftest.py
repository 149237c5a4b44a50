import pytest

from geography import addresses
from tests.geography.ban import write_ban


@pytest.fixture(autouse=True)
def _fresh_address_index():
    addresses.forget_index()
    yield
    addresses.forget_index()


@pytest.fixture
def ban_file(tmp_path) -> str:
    return write_ban(tmp_path / "adresses-21.csv")
