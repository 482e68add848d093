"""A port for a server that must be named before it starts (a bot process's WEB_PORT).

Probing with port 0 hands out a port from the system's range for outgoing connections, where a
client socket of another test worker can take it before our server binds it ("address already
in use"). A port below that range is never taken that way. A server started in this process
listens on port 0 instead and reads the port it got."""

from __future__ import annotations

import random
import socket

# Below Linux's ip_local_port_range (32768-60999), above the well-known and registered ones
# most machines run services on.
LOW, HIGH = 20_000, 32_000


def free_port() -> int:
    for _ in range(200):
        port = random.randint(LOW, HIGH)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {LOW} and {HIGH}")
