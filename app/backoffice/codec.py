"""Rows <-> domain records. Columns are named like the record fields, so the mapping is by name."""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

R = TypeVar("R", bound=BaseModel)

# Stored as JSON, so dumped in JSON mode (tuples become lists, enums and dates become strings).
_JSON_FIELDS = frozenset({"rules_fired", "request", "facts"})


def to_columns(record: BaseModel) -> dict[str, Any]:
    python = record.model_dump()
    as_json = record.model_dump(mode="json", include=set(_JSON_FIELDS & python.keys()))
    columns: dict[str, Any] = {}
    for name, value in python.items():
        if name in _JSON_FIELDS:
            columns[name] = as_json[name]
        elif isinstance(value, Enum):
            columns[name] = value.value  # stored as its plain string
        else:
            columns[name] = value
    return columns


def from_row(record_type: type[R], row: Any) -> R:
    return record_type.model_validate(
        {name: getattr(row, name) for name in record_type.model_fields}
    )
