"""How one reference BSS is set up (the lead builds it from Settings in ``app_from_settings``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReferenceConfig:
    """``database_url``: its own database (the ``bss_`` tables and the seed time).
    ``bearer_token``: when set, every /tmf-api and /admin request must carry it.
    ``validate``: check every /tmf-api exchange against the TMF specs (GET /admin/conformance).
    ``max_page_size``: the default and the cap of a list's ``limit``."""

    database_url: str
    bearer_token: str = ""
    validate: bool = False
    max_page_size: int = 100
