"""The web app: health, the read-only ops API (and later the agent console)."""
