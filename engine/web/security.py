"""What every response and every state-changing request goes through: security headers, the Secure flag
of cookies, and CSRF protection.

CSRF: each browser gets a random ``perfrules_csrf`` cookie (HttpOnly, SameSite=Strict) with its first page;
every form carries the same value in a hidden ``csrf`` field (the templates' ``csrf_field()``), and a POST,
PUT, PATCH or DELETE that relies on cookies (no ``Authorization: Bearer`` header) must send it back, in the
form or in the ``X-CSRF-Token`` header, or it is refused with 403. Bearer-token calls carry no ambient
credential and need none; neither does a call to the API (``/api/``, ``/metrics``) without the session
cookie, which then gets the API's own 401 (a system that forgot its token is told so, not about CSRF).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from perfrules.engine.web.auth import SESSION_COOKIE, bearer, is_api
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "perfrules_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADERS = {
    # No inline script or style anywhere: the pages load /static/*.js and /static/style.css only.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def secure_cookies(request: Request) -> bool:
    """Whether cookies get the Secure flag: setting ``secure_cookies`` (auto: when ``public_url`` is https or
    the request itself came over https)."""
    settings = request.app.state.settings
    if settings.secure_cookies != "auto":
        return settings.secure_cookies == "always"
    return settings.public_url.startswith("https://") or request.url.scheme == "https"


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (the cookie's value, or a new one set on the response by the middleware)."""
    token = getattr(request.state, "csrf", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        request.state.csrf = token
    return token


async def _sent_token(request: Request) -> str | None:
    if CSRF_HEADER in request.headers:
        return request.headers[CSRF_HEADER]
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        fields = parse_qs((await request.body()).decode("utf-8", "replace"))
        return (fields.get(CSRF_FIELD) or [None])[0]
    if kind.startswith("multipart/form-data"):
        form = await request.form()  # parsed from the body the request keeps (the app reads it again)
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


class Protect:
    """The middleware (plain ASGI: a bearer-token push pays for a header scan, nothing more): refuses a
    cookie-borne unsafe request without the CSRF token, adds the security headers to every response and sets
    the CSRF cookie a page handed out."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if scope["method"] in UNSAFE and _relies_on_cookies(request):
            body = await request.body()
            expected = request.cookies.get(CSRF_COOKIE)
            sent = await _sent_token(request)
            if not expected or not sent or not hmac.compare_digest(expected, sent):
                refused = PlainTextResponse(
                    "missing or wrong CSRF token: reload the page and try again", status_code=403, headers=HEADERS
                )
                await refused(scope, receive, send)
                return
            receive = _replay(body, receive)

        async def send_protected(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                fresh = scope.get("state", {}).get("csrf")
                if fresh is not None and fresh != request.cookies.get(CSRF_COOKIE):
                    cookie = Response()
                    cookie.set_cookie(
                        CSRF_COOKIE, fresh, httponly=True, samesite="strict", secure=secure_cookies(request), path="/"
                    )
                    headers.append("set-cookie", cookie.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, send_protected)


def _relies_on_cookies(request: Request) -> bool:
    """Whether the request would act with the browser's ambient credential (what CSRF is about): no bearer
    token, and a page (signing in included) or an API call carrying the session cookie."""
    if bearer(request) is not None:
        return False  # another scheme is no credential here: the session cookie would act (auth.resolve)
    return not is_api(request) or SESSION_COOKIE in request.cookies


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body the middleware already read, then listens on."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def install(app: FastAPI) -> None:
    app.add_middleware(Protect)
