"""Our own back office: adjustments, extensions, cases, decisions, PIN attempts, flags."""
