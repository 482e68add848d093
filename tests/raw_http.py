"""A hand-written HTTP/1.1 client for hostile requests a real client library smooths over: a body
sent in several TCP writes with pauses between them (as a slow network delivers it), or chunked
(`Transfer-Encoding: chunked`, no Content-Length), written byte by byte as the wire carries it.

    status, body = await post(url, [b'{"a":', b' 1}'], {"Authorization": "..."}, chunked=True)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

PAUSE_SECONDS = 0.1  # between two writes: the network's pause, not a wait for the server
# JSON nested deeper than any parser's recursion: 100,000 arrays; 40,000 objects (240 KB, under
# every door's limit).
NESTED = b"[" * 100_000 + b"]" * 100_000
NESTED_OBJECTS = b'{"a":' * 40_000 + b"1" + b"}" * 40_000


async def post(
    url: str,
    parts: Sequence[bytes],
    headers: Mapping[str, str] | None = None,
    *,
    chunked: bool = False,
    pause: float = PAUSE_SECONDS,
) -> tuple[int, bytes]:
    """POST the concatenation of `parts`, each in its own write after a pause; -> (status, the
    answer's body). A server that answers before the body ends (413) is still read."""
    target = urlsplit(url)
    assert target.hostname and target.port
    reader, writer = await asyncio.open_connection(target.hostname, target.port)
    try:
        head = [
            f"POST {target.path} HTTP/1.1",
            f"Host: {target.hostname}:{target.port}",
            "Connection: close",
            "Content-Type: application/json",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
            "Transfer-Encoding: chunked"
            if chunked
            else f"Content-Length: {sum(len(p) for p in parts)}",
        ]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        # The server may answer and stop reading before the body ends: that is what is tested.
        with contextlib.suppress(ConnectionError):
            await writer.drain()
            for part in parts:
                await asyncio.sleep(pause)
                writer.write(b"%x\r\n%b\r\n" % (len(part), part) if chunked else part)
                await writer.drain()
            if chunked:
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return parse_answer(answer)


def parse_answer(answer: bytes) -> tuple[int, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0]
    if not status_line.startswith(b"HTTP/1.1 "):
        raise AssertionError(f"not an HTTP answer: {answer[:80]!r}")
    if b"transfer-encoding: chunked" in head.lower():
        body = unchunk(body)
    return int(status_line.split()[1]), body


def unchunk(body: bytes) -> bytes:
    out = bytearray()
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += body[:size]
        body = body[size + 2 :]
    return bytes(out)


def split(body: bytes, parts: int = 3) -> list[bytes]:
    """`body` in `parts` pieces of about equal size (a signature or a JSON value cut anywhere)."""
    step = max(1, -(-len(body) // parts))
    return [body[i : i + step] for i in range(0, len(body), step)]


def chunks(body: bytes, size: int = 64 * 1024) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]
