"""Keep the product off the network: Hugging Face / Gradio switched offline, and a guard on sockets.

:func:`enforce_offline` must run before ``transformers``, ``huggingface_hub`` or ``sentence_transformers`` is
imported: they read these variables once at import time; ``rag/__init__.py`` calls it. The CLI and the web app
call :func:`guard_network` with the hosts the settings name (model servers, an index server), and nothing
else beyond this machine can be reached.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Iterable
from typing import Any, NoReturn

from rag.errors import NetworkBlocked

logger = logging.getLogger(__name__)

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce_offline() -> None:
    """Set the offline variables (a value the user set explicitly is left alone)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


BLOCKED = "network guard: refused"
_allowed_names: set[str] = set()
_allowed_addresses: set[str] = set()


def guard_network(allowed_hosts: Iterable[str] = ()) -> None:
    """From now on, refuse connections and name look-ups beyond this machine except to ``allowed_hosts``
    (the configured model servers and index server: ``Settings.remote_hosts``). Calling it again replaces the
    allowed hosts. Loopback and Unix sockets are always allowed."""
    _allowed_names.clear()
    _allowed_names.update(host.lower() for host in allowed_hosts)
    _allowed_addresses.clear()
    _allowed_addresses.update(host for host in _allowed_names if _is_address(host))
    if getattr(socket.socket.connect, "guarded", False):
        return
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        host = str(address[0]).split("%")[0].lower()
        if not is_loopback(host) and host not in _allowed_addresses:
            _refuse(f"connection to {host} (not a configured host)")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = (host.decode() if isinstance(host, bytes) else str(host or "")).lower()
        configured = name in _allowed_names
        if not (configured or name in ("", "localhost", socket.gethostname().lower()) or _is_address(name)):
            _refuse(f"name look-up of {name!r}")
        result = real_getaddrinfo(host, *args, **kwargs)
        if configured:  # the addresses a configured name stands for are configured too
            _allowed_addresses.update(str(info[4][0]) for info in result)
        return result

    connect.guarded = True  # type: ignore[attr-defined]  # a mark on the function: guard once
    # Patched on the class and the module, so every socket any library opens later is checked.
    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign, assignment]
    socket.getaddrinfo = getaddrinfo


def _refuse(what: str) -> NoReturn:
    logger.error("%s %s: this product only talks to the hosts in its settings", BLOCKED, what)
    raise NetworkBlocked(f"{BLOCKED} {what}")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv4-mapped included) is this machine."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)
