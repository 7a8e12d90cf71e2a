"""Helpers every test folder shares: a stopped clock, the API's one error shape, and stopping a server
process a test started."""

import subprocess
from datetime import datetime

import time_machine


def at(moment: datetime):
    """Stop the clock at `moment` (aware) for a `with` block or as a decorator."""
    assert moment.tzinfo is not None
    return time_machine.travel(moment, tick=False)


def error_of(response, status_code: int | None = None) -> dict:
    """The one error shape of DESIGN.md: {"detail", "code", "fields"} (after checking the status code,
    when one is given); returns the body."""
    if status_code is not None:
        assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    assert body["detail"]
    return body


def stop_processes(*procs: subprocess.Popen, timeout: float = 20) -> None:
    """Ask each process to stop (SIGTERM), all at once, then wait for each; kill one that will not stop."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
