"""What anyone may see without logging in: a store's badges (docs/scores.md, "Public badges").

- `GET /api/v1/public/stores/{code}/badges/`: JSON list of the badges currently held (earned or at
  risk) as `{"code", "name", "description", "since", "icon_url"}` (+ `figure` where the badge shows
  it), in the language of `?lang=zh-hans|en` or `Accept-Language`. ETag and Cache-Control, 304 for
  a matching If-None-Match, CORS open for GET, a rate limit per client address.
- `/embed/stores/{code}/badges.js`: the storefront script (renders the list into an element);
- `/embed/stores/{code}/badges/`: the iframe page, the only page of the portal that may be framed,
  by the store's configured storefront origins (CSP frame-ancestors);
- `/embed/stores/{code}/badges.svg`: the badges as one image.
Policy badges are checked against the store's return policies at request time, so a badge backed by
a policy is shown exactly while the policy is active. Never PII, never internal figures.
"""

from __future__ import annotations

import hashlib
import json
import math
from html import escape
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import override
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.clickjacking import xframe_options_exempt
from rest_framework.throttling import SimpleRateThrottle

from portal.middleware import client_ip
from portal.models import Store
from scores import refund_source
from scores.models import SHOWN_STATES, Badge, EmbedSettings, StoreBadge

LANGUAGES = ("zh-hans", "en")
CACHE_SECONDS = 300


def rate_limit() -> int:
    """Requests per minute per client address (setting SCORES_PUBLIC_RATE_PER_MINUTE)."""
    return int(getattr(settings, "SCORES_PUBLIC_RATE_PER_MINUTE", 120))


def language_of(request) -> str:
    asked = (request.GET.get("lang") or "").lower()
    if asked in LANGUAGES:
        return asked
    for code, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        code = code.lower()
        if code.startswith("en"):
            return "en"
        if code.startswith("zh"):
            return "zh-hans"
    return "zh-hans"


class PublicRateThrottle(SimpleRateThrottle):
    """Requests per minute per client address, one budget per bucket ("api", "embed"), counted in
    the shared cache by the same mechanism as the API's throttles (portal/api/throttling.py). The
    address is the portal's one rule (`portal.middleware.client_ip`: behind PROXY_COUNT proxies, the
    address they recorded)."""

    def __init__(self, bucket: str):
        self.scope = f"scores_public_{bucket}"
        super().__init__()

    def get_rate(self):
        return f"{rate_limit()}/min"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


def throttled(request, bucket: str):
    """The 429 answer (with Retry-After) when the client is over its budget for `bucket`, else None."""
    throttle = PublicRateThrottle(bucket)
    if throttle.allow_request(request, None):
        return None
    return _too_many(throttle.wait())


def store_or_404(code) -> Store:
    store = Store.objects.filter(code=code).first()
    if store is None:
        raise Http404
    return store


def public_badges(store: Store, language: str, *, icon_url=lambda path: static(path)) -> list[dict]:
    """The badges the store holds now, as the public sees them (a few queries)."""
    today = timezone.localdate()
    rows = {row.badge_id: row for row in StoreBadge.objects.filter(store=store).select_related("badge")}
    badges = list(Badge.objects.filter(active=True).order_by("order", "code"))
    policy_days = {b.policy_return_days for b in badges if b.kind == Badge.Kind.POLICY}
    live = refund_source.stores_with_return_window([store.pk], policy_days, today).get(store.pk, set()) \
        if policy_days else set()
    result = []
    for badge in badges:
        row = rows.get(badge.pk)
        if badge.kind == Badge.Kind.POLICY:
            if badge.policy_return_days not in live:
                continue
            since = row.since if row is not None and row.state in SHOWN_STATES and row.since else today
        else:
            if row is None or row.state not in SHOWN_STATES:
                continue
            since = row.since
        item = {"code": badge.code, "name": badge.name_in(language), "description": badge.description_in(language),
                "since": since.isoformat() if since else None, "icon_url": icon_url(badge.icon)}
        if badge.show_figure and badge.kind == Badge.Kind.EARNED and row is not None and row.figure is not None:
            item["figure"] = row.figure
        result.append(item)
    return result


def _cors(response):
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Accept-Language, If-None-Match"
    response["Access-Control-Expose-Headers"] = "ETag"
    response["Access-Control-Max-Age"] = "86400"
    return response


def _too_many(wait):
    response = JsonResponse({"detail": "Too many requests; try again in a minute."}, status=429)
    response["Retry-After"] = str(max(1, math.ceil(wait or 60)))
    return _cors(response)


def _cached_answer(request, body: bytes, content_type: str, language: str | None = None):
    """The body with ETag and Cache-Control, or 304 when the client already has it; `language`: the
    language of the body (Content-Language), None for a body in no language (the script)."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    # A cache may send the tag back weak (W/"..."); If-None-Match compares weakly (RFC 9110 13.1.2).
    matches = [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag in matches or "*" in matches:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response["Vary"] = "Accept-Language"
    if language:
        response["Content-Language"] = language
    return response


def badges_api(request, code):
    """`GET /api/v1/public/stores/{code}/badges/` (no login)."""
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204))
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"detail": "Method not allowed."}, status=405)
        response["Allow"] = "GET, HEAD, OPTIONS"
        return _cors(response)
    if (refused := throttled(request, "api")) is not None:
        return refused
    store = Store.objects.filter(code=code).first()
    if store is None:
        return _cors(JsonResponse({"detail": "Not found."}, status=404))
    language = language_of(request)
    items = public_badges(store, language, icon_url=lambda path: request.build_absolute_uri(static(path)))
    body = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode()
    return _cors(_cached_answer(request, body, "application/json", language))


def badges_script(request, code):
    """The storefront script: the same static file for every store (it reads the store from its own
    address), answered here so that the snippet's URL names the store and 404s for an unknown one."""
    if (refused := throttled(request, "embed")) is not None:
        return refused
    store_or_404(code)
    path = finders.find("scores/embed-badges.js")
    body = Path(path).read_bytes()
    response = _cached_answer(request, body, "text/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


def frame_policy(store: Store) -> str:
    """CSP of the iframe page: nothing but our own stylesheet and images, framed only by the store's
    configured storefront origins and the portal itself (the live preview on the embed page)."""
    settings_row = EmbedSettings.objects.filter(store=store).first()
    origins = settings_row.origins() if settings_row else []
    ancestors = " ".join(["'self'", *origins])
    return (f"default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
            f"frame-ancestors {ancestors}")


@xframe_options_exempt
def badges_frame(request, code):
    """The iframe page (server-rendered, no script)."""
    if (refused := throttled(request, "embed")) is not None:
        return refused
    store = store_or_404(code)
    language = language_of(request)
    with override(language):
        response = render(request, "scores/embed_frame.html", {
            "store": store, "badges": public_badges(store, language), "language": language})
    response["Content-Security-Policy"] = frame_policy(store)
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response["Vary"] = "Accept-Language"
    response["Content-Language"] = language
    return response


def _icon_markup(path: str, x: int, y: int) -> str:
    """A badge icon (one of the portal's static SVG files) drawn inline at (x, y)."""
    found = finders.find(path)
    if not found:
        return ""
    text = Path(found).read_text()
    return text.replace("<svg ", f'<svg x="{x}" y="{y}" ', 1)


def badges_svg(request, code):
    """The badges as one image, for storefront editors that take neither scripts nor iframes."""
    if (refused := throttled(request, "embed")) is not None:
        return refused
    store = store_or_404(code)
    language = language_of(request)
    items = public_badges(store, language, icon_url=lambda path: path)  # drawn inline below
    height, x, parts = 36, 0, []
    for item in items:
        width = 44 + 14 * len(item["name"]) if language == "zh-hans" else 44 + 8 * len(item["name"])
        parts.append(
            f'<g><title>{escape(item["description"])}</title>'
            f'<rect x="{x + 1}" y="1" rx="16" ry="16" width="{width}" height="{height - 2}" fill="#fff" '
            f'stroke="#d0d7de"/>{_icon_markup(item["icon_url"], x + 10, 6)}'
            f'<text x="{x + 40}" y="23" font-family="sans-serif" font-size="14" fill="#1f2328">'
            f'{escape(item["name"])}</text></g>')
        x += width + 8
    total = max(x, 1)
    body = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{height}" '
            f'viewBox="0 0 {total} {height}" role="img" aria-label="{escape(store.name)}">' + "".join(parts)
            + "</svg>").encode()
    response = _cached_answer(request, body, "image/svg+xml", language)
    response["Access-Control-Allow-Origin"] = "*"
    return response
