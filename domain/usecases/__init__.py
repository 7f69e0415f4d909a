"""Use cases: gather facts through ports, decide (pure), apply, record."""
