"""Answering: evidence sentences, prompts, the model's draft checked against its sources, the stream of events."""
