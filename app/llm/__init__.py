"""Adapters of the Llm port: any OpenAI-compatible endpoint, or none at all."""
