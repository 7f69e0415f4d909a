"""The reference BSS in SQL: the operator's billing, orders and network incidents."""

from billing_adapters.sql.bss import SqlBss
from billing_adapters.sql.tables import BssBase, bss_metadata

__all__ = ["BssBase", "SqlBss", "bss_metadata"]
