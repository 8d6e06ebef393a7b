"""Accepting connections without spinning: the webhook's and the studio's accept loop, written once.

tornado's own loop retries at once when the process is out of file descriptors (EMFILE) and logs a
traceback per try; both servers instead accept a batch, and on such an error hand it to a `pause`
that stops accepting for a while and says so at most once a minute.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

BATCH = 128
"""Connections accepted per readiness event; then other work runs, and the loop calls again while more wait."""


def accept_waiting(
    sock: socket.socket,
    handle: Callable[[socket.socket, Any], None],
    pause: Callable[[OSError], None],
) -> None:
    """Accept the connections waiting on `sock`; on EMFILE, ENFILE or ENOBUFS call `pause` and stop."""
    for _ in range(BATCH):
        try:
            connection, address = sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except ConnectionAbortedError:
            continue
        except OSError as error:
            pause(error)
            return
        handle(connection, address)
