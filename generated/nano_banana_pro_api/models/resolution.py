from enum import StrEnum
from typing import Any


class Resolution(StrEnum):
    HIGH = "high"
    LOW = "low"
    MEDIUM = "medium"
    RES_1K = "1K"
    RES_2K = "2K"
    RES_4K = "4K"

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: object) -> Any:
        """Keep a string value this client does not list yet instead of failing to parse.

        The service can start sending a new value before this client is regenerated; the
        value becomes a pseudo-member (not listed in the class) that compares equal to it.
        """
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member
