"""居民身份证 numbers (GB 11643): normalised, check digit validated, birth date and sex read from them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError


class IdNumberError(ValueError):
    """A number that is not a valid 18-digit 居民身份证 number; the message is for the user."""


@dataclass(frozen=True)
class IdNumber:
    number: str  # 18 characters, the check character upper case
    birth_date: dt.date
    sex: str  # "F" or "M": the 17th digit is odd for men, even for women


def normalize_id_number(value: str) -> str:
    """Spaces and full-width characters dropped, a lower-case check character "x" made "X"."""
    value = (value or "").strip().replace(" ", "").replace("\u3000", "")
    value = value.translate(str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX"))
    return value.upper()


def parse_id_number(value: str) -> IdNumber:
    """The number checked against GB 11643 (length, birth date, check digit). Raises ``IdNumberError``."""
    number = normalize_id_number(value)
    try:
        # stdnum also checks the date; the region table it carries may lag new codes, so it is not asked.
        if len(number) != 18:
            raise InvalidLength()
        if not number[:17].isdigit():
            raise InvalidFormat()
        birth_date = ric.get_birth_date(number)
        if ric.calc_check_digit(number) != number[-1]:
            raise InvalidChecksum()
    except InvalidLength:
        raise IdNumberError("身份证号应为 18 位。") from None
    except InvalidChecksum:
        raise IdNumberError("身份证号校验位不正确，请核对后重新填写。") from None
    except (InvalidFormat, InvalidComponent, ValidationError):
        raise IdNumberError("身份证号格式不正确（前 17 位应为数字，出生日期应有效）。") from None
    if birth_date > dt.date.today():
        raise IdNumberError("身份证号中的出生日期晚于今天。")
    return IdNumber(number=number, birth_date=birth_date, sex="M" if int(number[16]) % 2 else "F")


def make_id_number(prefix17: str) -> str:
    """The full number for 17 digits, with their check character (synthetic demo and test data)."""
    return prefix17 + ric.calc_check_digit(prefix17 + "0")  # stdnum reads the 17 digits before the last
