"""Text helpers shared by notices and answer templates."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any


class _Placeholders(string.Formatter):
    """str.format that leaves unknown or malformed placeholders as they are instead of failing,
    so a typo in a region's template shows up in the text rather than breaking it."""

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        return "{" + str(key) + "}"

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        return value

    def format_field(self, value: Any, format_spec: str) -> str:
        return str(value)


def fill_placeholders(text: str, values: Mapping[str, Any]) -> str:
    """Replace {name} placeholders with ``values``; unbalanced braces give the text back untouched."""
    try:
        return _Placeholders().vformat(text, (), values)
    except (ValueError, IndexError):
        return text
