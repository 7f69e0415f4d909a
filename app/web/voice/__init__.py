"""The Twilio voice line: webhooks in, TwiML out (see gateway.py)."""
