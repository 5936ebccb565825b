import pytest
from django.core.exceptions import ValidationError

from jinguo.lib.phones import PHONE_ERROR, is_valid_phone, validate_phone


@pytest.mark.parametrize("value", ["13812345678", "19912345678", "0857-8221234", "010-12345678", "0857-8221234-801"])
def test_phone_valid_numbers_accepted(value):
    assert is_valid_phone(value)
    assert validate_phone(value) == value


@pytest.mark.parametrize(
    "value", ["12812345678", "1381234567", "138123456789", "8221234", "0857 822123", "857-8221234", "abc", ""]
)
def test_phone_invalid_numbers_rejected_in_chinese(value):
    assert not is_valid_phone(value)
    with pytest.raises(ValidationError) as exc:
        validate_phone(value)
    assert exc.value.messages == [PHONE_ERROR]


def test_phone_spaces_and_wide_hyphens_normalised():
    assert validate_phone(" 138 1234 5678 ") == "13812345678"
    assert validate_phone("0857－8221234") == "0857-8221234"
    assert validate_phone("+8613812345678") == "13812345678"
