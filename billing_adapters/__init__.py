"""Adapters for the operator's systems (BSS, orders, network status): in-memory and SQL."""
