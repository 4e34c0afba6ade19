"""Transient failures are retried: connections cut under the driver, progress reporting."""
from __future__ import annotations

import socket
import threading

import pytest

from graphmodel.examples import load_golden
from graphmodel.store.neo4j import Neo4jStore

from .conftest import settings_for
from .test_neo4j_roundtrip import assert_same_tables


class CuttableProxy:
    """A TCP proxy in front of the Bolt server whose connections can all be cut at once,
    as a load balancer, a failover or a flaky network would."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> int:
        """Close every open connection; return how many there were."""
        with self.lock:
            cut, self.sockets = self.sockets, []
        for s in cut:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        return len(cut) // 2

    def close(self) -> None:
        self.listener.close()
        self.cut()


@pytest.fixture
def proxy(bolt_server, store):  # `store`: starts from an empty database
    from urllib.parse import urlsplit

    parts = urlsplit(bolt_server.uri)
    p = CuttableProxy(parts.hostname, parts.port or 7687)
    yield p
    p.close()


def test_queries_and_pushes_are_retried_after_the_connection_is_cut(bolt_server, proxy):
    uri = f"bolt://127.0.0.1:{proxy.port}"
    with Neo4jStore(settings_for(bolt_server, uri=uri, connection_timeout=2)) as store:
        assert store.run("RETURN 1 AS x") == [{"x": 1}]
        assert proxy.cut() >= 1  # the pooled connection is now dead
        assert store.run("RETURN 2 AS x") == [{"x": 2}]  # retried on a new connection
        golden = load_golden()
        store.push(golden, replace=True)
        proxy.cut()
        assert_same_tables(golden, store.pull())


def test_push_reports_progress(store):
    events = []
    store.push(load_golden(), replace=True, batch_size=5,
               progress=lambda what, done, total: events.append((what, done, total)))
    total = events[0][2]
    assert events[0] == ("starting", 0, total) and events[-1] == ("done", total, total)
    assert total == 14 + 6 + 14 + 8 + 14 + 9 + 1 + 18  # every row of every write step
    done = [d for _, d, _ in events]
    assert done == sorted(done) and len(events) > 10
