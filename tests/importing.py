"""Imports answer 202 with a job: helpers that POST (running the job's task on commit, as a worker would
after the request), then read the job through its status URL like a client polling it."""

from django.test import TestCase


def post_import(client, url: str, payload: dict, **kwargs):
    """POST an import; the job's task runs eagerly when the request's transaction commits. The follow-up
    tasks the job enqueues (deadline recompute, waitlist promotion) stay queued, as right after a real
    worker finished the job."""
    with TestCase.captureOnCommitCallbacks() as after_request:
        response = client.post(url, payload, format="multipart", **kwargs)
    for callback in after_request:
        with TestCase.captureOnCommitCallbacks():
            callback()
    return response


def job_of(response) -> dict:
    """The job a 202 answer started, as its status URL shows it now."""
    assert response.status_code == 202, response.content
    started = response.json()
    assert 0 <= started["progress"] <= 100
    polled = response.client.get(started["status_url"])
    assert polled.status_code == 200, polled.content
    return polled.json()


def imported(response) -> dict:
    """The counts of an import that went through."""
    job = job_of(response)
    assert job["status"] == "done", job
    assert (job["progress"], job["error"]) == (100, None), job
    return job["result"]


def job_error(response) -> dict:
    """The error of an import that imported nothing, in the API's error shape (row errors in `fields`)."""
    job = job_of(response)
    assert job["status"] == "failed", job
    assert job["result"] == {}, job
    error = job["error"]
    assert set(error) == {"detail", "code", "fields"}, error
    assert error["detail"]
    return error
