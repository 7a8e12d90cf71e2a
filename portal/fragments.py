"""Rendered rows of a long list (My deadlines), cached under a key made of everything a row shows.

A row's key is the SHA-256 of the portal's source (code_version: templates, tags and code, so a deploy
never serves a row drawn by the code before it) and of the tuple of inputs the caller names: the row's
own values, the person's zone choice, the countdown's words, the attempts listed. Any input that changes gives another key, so a cached row is never stale; a row whose
inputs have not changed since the last view is not rendered again. A list viewed again with nothing
changed is one cache read (the list's key is one digest of all its rows' inputs); otherwise its rows come
from the cache in one round trip (get_many) and the misses are stored in one (set_many).

The CSRF token is not part of a cached row: rows are rendered with a placeholder, which is replaced by
this request's token on the way out. With the cache unreachable the rows are rendered as usual
(portal.cache already falls back to local memory; this guards any other backend too).
"""

import hashlib
import logging
import pickle
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

CSRF_PLACEHOLDER = "csrf-token-placeholder-8c1f0e5b"  # never a real token (those are 64 letters and digits)
ROWS_MARKER = "<!--rows-8c1f0e5b:{}-->"  # never in a page otherwise (text and attributes are escaped)
TIMEOUT_SECONDS = 3600  # rows are cheap to render again; the cache holds what is viewed now
ALIAS = "default"


@cache
def code_version() -> str:
    """A digest of the portal's own source, Python and templates, read once a process: a deploy that
    changes any of it (a template, a tag, a URL, a label) gives every row a new key."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for folder in ("courses", "grading", "portal", "templates"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".html") and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def row_key(template_name: str, parts: tuple, *, kind: str = "row") -> str:
    # Pickled, not repr'd: several times faster on a hundred rows. Equal pickles are equal values, so a key
    # never names another row's inputs (at worst equal values pickle apart, and a row is rendered again).
    body = hashlib.sha256(pickle.dumps(parts, protocol=5)).hexdigest()
    return f"{kind}:{template_name}:{code_version()}:{body}"


def render_rows(
    request,
    template_name: str,
    items: Iterable,
    *,
    key_of: Callable[[object], tuple],
    contexts_for: Callable[[list], list[dict]],
) -> list[SafeString]:
    """Each item rendered with `template_name`, reusing the rendering stored under `key_of(item)` (a tuple
    of plain values, strings, numbers, booleans and None: everything the template reads of the item and its
    context, or values that determine it). `contexts_for(items)` gives the template contexts of the items
    not found, in one call, so what only a rendering needs is read only when something is rendered."""
    items = list(items)
    if not items:
        return []
    parts = [key_of(item) for item in items]
    # The whole list first (one key, one value, one digest of every row's inputs): a page viewed again with
    # nothing changed costs one get; the rows' own keys are made only when the list is not found.
    list_key = row_key(template_name, tuple(parts), kind="rows")
    backend = caches[ALIAS]
    try:
        out = backend.get(list_key)
    except Exception as exc:  # an unreachable cache costs a rendering, never the page
        logger.warning("row cache unreachable, rendering every row: %s", exc)
        out = None
    if out is None:
        keys = [row_key(template_name, part) for part in parts]
        try:
            found = backend.get_many(keys)
        except Exception as exc:
            logger.warning("row cache unreachable, rendering every row: %s", exc)
            found = {}
        missing = [i for i, key in enumerate(keys) if key not in found]
        made: dict[str, str] = {}
        if missing:
            template = get_template(template_name)
            contexts = contexts_for([items[i] for i in missing])
            for i, context in zip(missing, contexts, strict=True):
                made[keys[i]] = template.render({**context, "csrf_token": CSRF_PLACEHOLDER})
        out = [found.get(key) or made[key] for key in keys]
        try:
            backend.set_many({**made, list_key: out}, TIMEOUT_SECONDS)
        except Exception as exc:
            logger.warning("row cache unreachable, rows not stored: %s", exc)
    if any(CSRF_PLACEHOLDER in html for html in out):
        token = get_token(request)
        out = [html.replace(CSRF_PLACEHOLDER, token) for html in out]
    return [mark_safe(html) for html in out]  # rendered (and escaped) by the template engine


def render_with_rows(request, template_name: str, context: dict, rows: dict[str, list[str]]) -> HttpResponse:
    """`django.shortcuts.render`, with long lists of rendered rows put in after the page is rendered: each
    name of `rows` is in the template's context as a marker (or "" when it has no rows, for the template's
    `{% if %}`), and the page's one copy of the marker is replaced by the rows. The page's hundreds of
    kilobytes of rows are then joined once, rather than again at each tag and block around them."""
    markers = {name: mark_safe(ROWS_MARKER.format(name)) if items else "" for name, items in rows.items()}
    page = render_to_string(template_name, {**context, **markers}, request)
    pieces, start = [], 0
    for at, name in sorted((page.index(marker), name) for name, marker in markers.items() if marker):
        pieces.append(page[start:at])
        pieces.extend(rows[name])
        start = at + len(markers[name])
    pieces.append(page[start:])
    return HttpResponse("".join(pieces))
