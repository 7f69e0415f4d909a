"""Reads the versioned autonomy policy file into the domain's model (the edge does the I/O)."""

from __future__ import annotations

from pathlib import Path

import yaml

from domain.errors import InvalidInput
from domain.policy import Policy


def load_policy(path: Path) -> Policy:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInput(f"cannot read the autonomy policy {path}: {error}") from error
    if not isinstance(data, dict):
        raise InvalidInput(f"the autonomy policy {path} is not a mapping")
    return Policy.model_validate(data)
