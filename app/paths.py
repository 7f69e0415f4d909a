"""Where the project lives on disk (its data, models and runtime files sit below it)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
