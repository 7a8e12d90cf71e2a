"""gunicorn's threaded worker, noting when each request reached the portal.

`gunicorn --worker-class portal.gunicorn_workers.ReceivedAtThreadWorker --threads N` (docker-compose.yml).
The worker's main thread accepts a connection as soon as it arrives and queues it for a free thread; under
a deadline spike a request can wait in that queue, and then read its upload, for seconds. The moment the
connection was accepted (or, on a kept-alive connection, its next request became readable) is passed to
Django in the WSGI environ as `portal.received_at` (seconds since the epoch): an environ key, not a
header, so no client can set it. `portal.received` prefers it to the middleware's later stamp, so time
spent waiting for a thread is never counted against a student.
"""

import threading
import time

from gunicorn.workers.gthread import ThreadWorker

ENVIRON_KEY = "portal.received_at"
_current = threading.local()


class ReceivedAtThreadWorker(ThreadWorker):
    def enqueue_req(self, conn):
        # The first time a request of this connection is queued; a connection deferred to the poller
        # (no bytes yet) and queued again keeps its first moment.
        if getattr(conn, "portal_received_at", None) is None:
            conn.portal_received_at = time.time()
        super().enqueue_req(conn)

    def handle_request(self, req, conn):
        _current.received_at = getattr(conn, "portal_received_at", None)
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
