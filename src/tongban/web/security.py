"""Cookies and CSRF.

The session cookie carries a signed random token whose SHA-256 names a server-side session
row, so log-out and password changes end sessions at once. CSRF protection is a signed
double-submit token: a cookie set on first visit and echoed by every form (hidden field) or
by scripts (``X-CSRF-Token`` header); unsafe requests without a match are refused.
"""

from __future__ import annotations

import hmac

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from tongban.config import Settings
from tongban.kernel.ids import random_token

SESSION_COOKIE = "tb_session"
CSRF_COOKIE = "tb_csrf"
LANGUAGE_COOKIE = "tb_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CookieSigner:
    def __init__(self, settings: Settings) -> None:
        self._session = URLSafeSerializer(settings.signing_key, salt="tongban.session")
        self._csrf = URLSafeSerializer(settings.signing_key, salt="tongban.csrf")
        self.secure = settings.secure_cookies
        self.session_max_age = settings.session_hours * 3600

    def session_token(self, request: Request) -> str | None:
        return self._load(self._session, request.cookies.get(SESSION_COOKIE))

    def set_session(self, response: Response, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self._session.dumps(token),
            max_age=self.session_max_age,
            httponly=True,
            secure=self.secure,
            samesite="lax",
            path="/",
        )

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=self.secure, samesite="lax")

    def csrf_token(self, request: Request) -> tuple[str, bool]:
        """The visitor's CSRF token and whether it is new (so the cookie must be set)."""
        existing = self._load(self._csrf, request.cookies.get(CSRF_COOKIE))
        return (existing, False) if existing else (random_token(24), True)

    def set_csrf(self, response: Response, token: str) -> None:
        response.set_cookie(
            CSRF_COOKIE, self._csrf.dumps(token), httponly=True, secure=self.secure, samesite="lax", path="/"
        )

    @staticmethod
    def _load(serializer: URLSafeSerializer, raw: str | None) -> str | None:
        if not raw:
            return None
        try:
            value = serializer.loads(raw)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None


def tokens_match(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")
