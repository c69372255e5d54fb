"""The errors the product raises for its user. Each derives from :class:`RagError` and its message says what
went wrong and what to do; the faces (the CLI, the web UI) show a ``RagError``'s message, and treat any other
exception as a bug. Each also keeps the builtin base its callers catch (``OSError``, ``ValueError``, ...)."""
from __future__ import annotations


class RagError(Exception):
    """An error for the user to read: a bad setting, question or file, a missing model or index, a server down."""

    def __str__(self) -> str:
        # The message as written: KeyError would quote it, OSError may carry an errno.
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class SettingsError(RagError, ValueError):
    """A setting name is unknown or its value has the wrong type or is out of range."""


class MissingPackage(RagError, ImportError):
    """A feature needs a package that is not installed (the message names the ``pip install``)."""


class ModelNotFound(RagError, FileNotFoundError):
    """A configured model is not on this machine (nothing is ever downloaded)."""


class ModelServerError(RagError, OSError):
    """A model server could not be reached, refused the request, or stopped mid-answer."""


class NetworkBlocked(RagError, OSError):
    """Something tried to reach a host the settings do not name (this product works offline)."""


class FolderNotFound(RagError, FileNotFoundError):
    """The articles folder does not exist, or is not a folder."""


class ArticleError(RagError, ValueError):
    """An article file (or a line of a JSONL file) cannot be read; the message is the reason."""


class UnknownArticle(RagError, KeyError):
    """No indexed article has this id."""


class IndexNotBuilt(RagError, FileNotFoundError):
    """There is no completed index version at the configured path."""


class IndexWriteError(RagError, OSError):
    """The index folder cannot be written (disk full, read-only, ...); the live version is intact."""


class IndexInUse(RagError, OSError):
    """The index is held by another process (Milvus Lite serves one process at a time)."""


class Busy(RagError, RuntimeError):
    """Too many answers are waiting for their turn; ``retry_after`` says in how many seconds to ask again."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QuestionError(RagError, ValueError):
    """A question that cannot be asked: empty once cleaned, or too long."""


class UnknownChat(RagError, KeyError):
    """The chat does not exist, or belongs to another login."""


class ChatNameError(RagError, ValueError):
    """A chat cannot be given this name (an empty one)."""


class QuestionsFileError(RagError, ValueError):
    """A question set for ``rag eval`` has malformed lines (each is named)."""
