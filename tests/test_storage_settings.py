"""Where submissions are stored: the filesystem by default, an S3-compatible bucket (django-storages) when
PORTAL_S3_BUCKET names one, so several web and worker machines can share the files (README "Running on
several machines"). Settings are read in a fresh process, as a deployment reads them."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, django
django.setup()
from django.core.files.storage import storages
s = storages["default"]
print(json.dumps({"class": type(s).__module__ + "." + type(s).__name__,
                  "bucket": getattr(s, "bucket_name", None), "endpoint": getattr(s, "endpoint_url", None),
                  "region": getattr(s, "region_name", None), "location": getattr(s, "location", None),
                  "acl": getattr(s, "default_acl", "-"), "overwrite": getattr(s, "file_overwrite", None)}))
"""


def _storage(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_S3_", "AWS_"))}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings.local", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_filesystem_is_the_default():
    assert _storage()["class"] == "django.core.files.storage.filesystem.FileSystemStorage"


def test_a_named_bucket_stores_submissions_in_an_s3_compatible_store():
    storage = _storage(
        PORTAL_S3_BUCKET="portal-submissions",
        PORTAL_S3_ENDPOINT_URL="http://minio.internal:9000",
        PORTAL_S3_REGION="us-east-1",
        PORTAL_S3_PREFIX="spring",
    )
    assert storage == {
        "class": "storages.backends.s3.S3Storage",
        "bucket": "portal-submissions",
        "endpoint": "http://minio.internal:9000",
        "region": "us-east-1",
        "location": "spring",
        "acl": None,  # private: files are only served through the portal's access checks
        "overwrite": False,  # a resubmission never replaces an earlier file
    }
