"""SocketProxy: a small unix-socket proxy put between a client and a Docker engine's socket.

`close()` drops the listening socket and every open connection at once, so the engine becomes unreachable to
whoever used the proxy's path, mid-request if need be. Used by fault tests ("the manager is unreachable").
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import threading


class SocketProxy:
    def __init__(self, listen_path: str, target_path: str):
        self.listen_path = listen_path
        self.target_path = target_path
        self.connections = 0
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(listen_path)
        self._server.bind(listen_path)
        self._server.listen(64)
        self._server.settimeout(0.2)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, name="socket-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"unix://{self.listen_path}"

    def start(self) -> SocketProxy:
        self._thread.start()
        return self

    def __enter__(self) -> SocketProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                upstream.connect(self.target_path)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._closed.is_set():
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while not self._closed.is_set():
                for key, _ in selector.select(timeout=0.2):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            selector.close()
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._sockets.difference_update((a, b))

    def close(self) -> None:
        """Stop listening, remove the socket file and cut every open connection."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self._server.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.listen_path)
        with self._lock:
            sockets = list(self._sockets)
            self._sockets.clear()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
