import pytest

from jinguo.lib.scoping import _current


@pytest.fixture
def no_scope():
    """Requests in these tests meet no ambient scope: the API must set its own."""
    token = _current.set(None)
    yield
    _current.reset(token)
