"""Offline question answering over a folder of news articles (Indonesian and English).

Importing ``rag`` is cheap: no model and no heavy library is loaded until it is used.
"""
from rag.offline import enforce_offline

enforce_offline()

__version__ = "0.1.0"
