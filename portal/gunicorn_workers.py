"""gunicorn's threaded worker, noting when each request reached the portal.

`gunicorn --worker-class portal.gunicorn_workers.ReceivedAtThreadWorker --threads N` (docker-compose.yml).
The worker's main thread accepts a connection and queues it for a free thread; under a deadline spike a
request can wait in that queue, and then read its upload, for seconds, and before that it can wait in the
kernel's listen queue while the worker's main thread waits for the CPU or the GIL. The moment the
request's bytes reached this machine is passed to Django in the WSGI environ as `portal.received_at`
(seconds since the epoch): an environ key, not a header, so no client can set it. `portal.received`
prefers it to the middleware's later stamp, so time spent waiting for the worker is never counted
against a student.

The moment is the kernel's. The worker asks it to timestamp what arrives on its listening sockets
(SO_TIMESTAMP, inherited by each connection), and when it hands a connection to a thread with request
bytes waiting, it peeks at the first of them and takes the time they arrived: the request's first byte,
however long the connection then waited. Where that is not available, Linux's TCP_INFO says when the
connection last received data, which is at or after the request's first byte (counted a clock tick
late). Either way the stamp is never before the request arrived. A connection with no bytes yet is
stamped once its request has come in (when the thread has read its headers), so a client that connects
early and sends late gets no credit for the idle connection. Under TLS (the first bytes are the
handshake, not the request), or where neither is available (another OS), the stamp is when the main loop
handed the request over, as gunicorn's own queueing is then the earliest moment known.
"""

import contextlib
import socket
import struct
import sys
import threading
import time

from gunicorn.workers.gthread import ThreadWorker

ENVIRON_KEY = "portal.received_at"
_current = threading.local()

_TCP_INFO_LAST_DATA_RECV = 52  # offset of tcpi_last_data_recv (milliseconds) in Linux's struct tcp_info
_TCP_INFO_SIZE = 104
# The kernel counts in clock ticks (1-10 ms): the age it reports can be a tick more than the real one.
# Counting a whole 10 ms less keeps the stamp at or after the real arrival.
_TICK_SECONDS = 0.010


_SO_TIMESTAMP = 29  # Linux's SO_TIMESTAMP (SCM_TIMESTAMP): a struct timeval with each received segment
_TIMEVAL = struct.Struct("ll")


def timestamp_arrivals(listener) -> None:
    """Ask the kernel to note when each segment arrives on connections accepted from `listener`."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            listener.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMP, 1)


def first_waiting_byte_arrived(sock) -> tuple[bool, float | None]:
    """(whether bytes are waiting on `sock`, when the first of them arrived if the kernel noted it)."""
    try:
        data, ancillary, _flags, _address = sock.recvmsg(
            1, socket.CMSG_SPACE(_TIMEVAL.size), socket.MSG_PEEK | socket.MSG_DONTWAIT
        )
    except (BlockingIOError, InterruptedError):
        return False, None
    except (OSError, ValueError, AttributeError):  # closed, a TLS socket (no flags allowed), no recvmsg
        return False, None
    if not data:
        return False, None  # the client closed
    for level, kind, raw in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMP and len(raw) >= _TIMEVAL.size:
            seconds, microseconds = _TIMEVAL.unpack_from(raw)
            moment = seconds + microseconds / 1e6
            if 0 < moment <= time.time():
                return True, moment
    return True, None


def last_data_received(sock) -> float | None:
    """When `sock` last received data (seconds since the epoch, never earlier than the real moment),
    from the kernel; None where TCP_INFO is not available."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
        (age_ms,) = struct.unpack_from("I", info, _TCP_INFO_LAST_DATA_RECV)
    except (AttributeError, OSError, struct.error):
        return None
    now = time.time()
    return now - max(age_ms / 1000 - _TICK_SECONDS, 0.0)


class ReceivedAtThreadWorker(ThreadWorker):
    def enqueue_req(self, conn):
        # The first time a request of this connection is queued. With its bytes already waiting, the
        # kernel says when they came (the connection may have waited in the listen queue before this).
        # With none yet (a client slow to send), handle_request stamps it once the request is in.
        if getattr(conn, "portal_received_at", None) is None:
            if self.cfg.is_ssl:
                conn.portal_received_at = time.time()
            else:
                waiting, arrived = first_waiting_byte_arrived(conn.sock)
                if waiting:
                    conn.portal_received_at = arrived or last_data_received(conn.sock) or time.time()
        super().enqueue_req(conn)

    def init_process(self):
        for listener in self.sockets:
            timestamp_arrivals(listener)
        super().init_process()

    def handle_request(self, req, conn):
        received = getattr(conn, "portal_received_at", None)
        if received is None:
            # The request's line and headers have been read: its bytes are here, the last of them no
            # later than the kernel's last receipt.
            received = last_data_received(conn.sock) or time.time()
        _current.received_at = received
        try:
            return super().handle_request(req, conn)
        finally:
            _current.received_at = None
            conn.portal_received_at = None  # a kept-alive connection's next request is stamped anew

    def load_wsgi(self):
        super().load_wsgi()
        application = self.wsgi

        def stamped(environ, start_response):
            received = getattr(_current, "received_at", None)
            if received is not None:
                environ[ENVIRON_KEY] = received
            return application(environ, start_response)

        self.wsgi = stamped
