"""Answering: evidence sentences, prompts, the model's draft checked against its sources, the answer records and
the stream of events."""
