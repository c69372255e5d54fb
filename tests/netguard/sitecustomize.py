"""Network guard for subprocesses started by the tests: put this folder on PYTHONPATH.

Python imports ``sitecustomize`` at start-up, so every process started with it (the app, `rag index`)
refuses socket connections that leave the machine, and name look-ups of other hosts (on a machine
without DNS a hidden hub call would otherwise fail as "name not known" before reaching connect): each
attempt is written to stderr (so it shows in the process's log even if the caller swallows the error)
and fails with OSError. Loopback, numeric addresses (for bind), this machine's name and Unix sockets are
allowed.
"""
from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

MESSAGE = "netguard: blocked network access outside loopback"


def is_loopback(host: object) -> bool:
    """True for "localhost" and loopback addresses (IPv4-mapped IPv6 included)."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False  # a host name other than localhost would be resolved: that is the network
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _check(sock: socket.socket, address: Any) -> None:
    """Raise (after writing to stderr) if ``address`` is outside loopback."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
        sys.stderr.write(f"{MESSAGE}: {address!r}\n")
        sys.stderr.flush()
        raise OSError(f"{MESSAGE}: {address!r}")


def _check_name(host: object) -> None:
    """Raise (after writing to stderr) if resolving ``host`` would ask DNS about another machine."""
    if host in (None, "", b"", "localhost", b"localhost", socket.gethostname()):
        return
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        ipaddress.ip_address(name.split("%")[0])  # numeric: no look-up
    except ValueError:
        sys.stderr.write(f"{MESSAGE}: name look-up of {name!r}\n")
        sys.stderr.flush()
        raise OSError(f"{MESSAGE}: name look-up of {name!r}") from None


def install() -> None:
    """Wrap socket.connect, socket.connect_ex and socket.getaddrinfo with the checks (once)."""
    if getattr(socket.socket.connect, "netguard", False):
        return
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock, address):
        _check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        _check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        _check_name(host)
        return real_getaddrinfo(host, *args, **kwargs)

    connect.netguard = True  # type: ignore[attr-defined]  # a mark on the function: install once
    # Patched on the class, so every socket any library opens later is checked.
    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


install()
