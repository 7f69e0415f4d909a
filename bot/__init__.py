"""The Rasa project (config, domain, NLU data, rules) and its PIN-redacting tracker store.

Import-safe: importing `bot` does not import rasa (the app env has none).
"""
