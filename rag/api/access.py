"""Who may call the API: with ``api_keys`` set, a request carrying one of them (``Authorization: Bearer <key>``);
without keys, only this machine. Keys are compared in constant time and never logged."""
from __future__ import annotations

import hmac

from rag.api.errors import ApiError
from rag.offline import is_loopback
from rag.settings import Settings

NO_KEY = "missing or wrong API key: send 'Authorization: Bearer <key>' with a key from RAG_API_KEYS"
LOOPBACK_ONLY = ("without API keys the API answers only on this machine: set RAG_API_KEYS on the server and "
                 "send one of them as a bearer token")


def check_access(settings: Settings, authorization: str | None, client_host: str | None) -> None:
    """Raise the :class:`ApiError` for a request that may not call the API: 401 without a valid key when keys
    are set, 403 from another machine when none is."""
    keys = settings.api_key_set
    if not keys:
        if not (client_host and is_loopback(client_host)):
            raise ApiError(403, LOOPBACK_ONLY, "permission_error", "loopback_only")
        return
    scheme, _, given = (authorization or "").partition(" ")
    sent = given.strip().encode()
    if scheme.lower() != "bearer" or not any(hmac.compare_digest(sent, key.encode()) for key in keys):
        raise ApiError(401, NO_KEY, "invalid_request_error", "invalid_api_key",
                       headers={"WWW-Authenticate": "Bearer"})
