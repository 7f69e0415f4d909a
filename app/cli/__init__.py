"""Command-line entry points (python -m app.cli.<name>)."""
