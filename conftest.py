"""Test-wide setup: doctests see ``np`` and ``dg``; every test starts from the same seed
and fresh layer names, so results do not depend on test order; nothing reaches the network."""

import ipaddress
import os
import socket

# scikit-learn's estimator checks include check_array_api_input, which skips unless SciPy's
# array API mode is on; SciPy reads the variable when it is first imported, so set it first.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest

import deepgrad as dg


@pytest.fixture(autouse=True)
def _fresh_state(doctest_namespace):
    doctest_namespace["np"] = np
    doctest_namespace["dg"] = dg
    dg.utils.set_random_seed(1337)
    dg.layers.clear_session(free_memory=False)  # gc.collect() before every test is minutes
    yield


def _is_local(address) -> bool:
    """Whether a socket address stays on this machine (a Unix socket or a loopback host)."""
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths and abstract names
    host = address[0]
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Any test or doctest that opens a connection beyond this machine fails loudly.

    The attempt raises, and since loaders catch network errors to try the next mirror (and
    a test could then pass on the error message), the test also fails at teardown.
    """
    attempts = []

    def refuse(what, target):
        attempts.append(f"{what}({target!r})")
        raise OSError(f"tests never use the network: {what}({target!r}) refused by conftest.py")

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if not _is_local(address):
            refuse("connect", address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _is_local(address):
            refuse("connect_ex", address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local((host,)):
            refuse("getaddrinfo", host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    if attempts:
        pytest.fail(f"the test tried to reach the network: {', '.join(attempts)}", pytrace=False)
