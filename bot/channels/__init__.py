"""Input channels of ours (configured in bot/credentials.yml)."""
