"""Security headers on every response the server sends, Streamlit's own and the app's routes alike.

The Content-Security-Policy allows what Streamlit's page needs and nothing else: its scripts,
styles, fonts and images come from this server (images also as data: and blob: addresses it
makes itself); styles are also written inline by the page's style library, and the one inline
script of Streamlit's page is allowed by its hash. Nothing may be loaded from another site,
and no other site may frame the app.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import streamlit
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def inline_script_hashes(page: Path = Path(streamlit.__file__).parent / "static" / "index.html") -> list[str]:
    """CSP hashes of the inline scripts in Streamlit's page, read from the installed release."""
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page.read_text(encoding="utf-8"), re.DOTALL)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        " ".join(["script-src 'self'", *inline_script_hashes()]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
_ENCODED = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items()]


class SecurityHeaders:
    """Pure ASGI middleware, so streamed responses and websockets pass through untouched."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = set(HEADERS)
                kept = [(k, v) for k, v in message.get("headers", []) if k.decode("latin-1").lower() not in names]
                message = {**message, "headers": kept + _ENCODED}
            await send(message)

        await self.app(scope, receive, send_with_headers)
