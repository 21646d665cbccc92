"""A link between the browser and the server that a test can cut, the way a weak signal does.

Playwright's offline mode makes the page see itself offline and refuses new connections, but an
open websocket goes on working through it. A real drop is worse: the browser's socket looks open,
what it sends meanwhile never arrives, and when the signal returns the server has long closed its
end. The link here does that: while cut it swallows every byte both ways, and when restored it
closes the connections that lived through the cut, so the browser has to connect again.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Link:
    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.cut = False
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:  # the server has stopped
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not self.cut:
                    sink.sendall(data)
        except OSError:
            pass
        if self.cut:
            return  # a dead link carries no close either: the other end learns of it when the link returns
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def drop(self) -> None:
        self.cut = True

    def restore(self) -> None:
        """The server gave up on every connection during the drop: the browser finds them closed."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for end in pair:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
        self.cut = False

    def close(self) -> None:
        self.restore()
        self.listener.close()
