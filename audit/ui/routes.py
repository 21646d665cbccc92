"""The app's own HTTP routes beside Streamlit's: evidence photos, the health check, the connection script."""

from __future__ import annotations

import math
import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from audit.errors import AuditError, PermissionDenied, StoreUnavailable
from audit.services import sessions
from audit.services.database import Database
from audit.services.health import health
from audit.services.photo_links import KINDS, ROUTE, SIZES, PhotoRequest, evidence_photo, signed_requester
from audit.settings import settings
from audit.ui.connection import SCRIPT
from audit.ui.session_routes import session_token

_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def content_type(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _SIGNATURES if data.startswith(magic)), "application/octet-stream")


def requester(database: Database, request: Request, photo: PhotoRequest) -> str:
    """Who asks for the photo: the signed address says so, or, for an address without a signature,
    the browser's session cookie (a session that is live, of an enabled account)."""
    if not photo.signature and session_token(request):
        if photo.kind not in KINDS or photo.size not in SIZES:
            raise PermissionDenied("photo.error.refused")
        outcome = sessions.resume(database, session_token(request), idle_minutes=settings().idle_minutes)
        if outcome.user is None:
            raise PermissionDenied("photo.error.refused")
        return outcome.user.id
    return signed_requester(database, photo)


def photo_route(database_of) -> Route:
    def evidence(request: Request) -> Response:
        database, query = database_of(), request.query_params
        try:
            photo = PhotoRequest(
                request.path_params["kind"],
                request.path_params["owner_id"],
                request.path_params["sha256"],
                query.get("size", ""),
                query.get("account", ""),
                int(query.get("expires", "0")),
                query.get("sig", ""),
            )
        except ValueError:
            return PlainTextResponse("Not allowed.", status_code=403)
        try:
            account = requester(database, request, photo)
            data = evidence_photo(database, account, photo)
        except PermissionDenied:
            return PlainTextResponse("Not allowed.", status_code=403, headers={"Cache-Control": "no-store"})
        except StoreUnavailable:
            return PlainTextResponse("Unavailable.", status_code=503, headers={"Cache-Control": "no-store"})
        except AuditError:  # no such photo there, or no longer shown (a form already submitted)
            return PlainTextResponse("Not found.", status_code=404, headers={"Cache-Control": "no-store"})
        left = max(math.floor(photo.expires - time.time()), 0)
        return Response(data, media_type=content_type(data), headers={"Cache-Control": f"private, max-age={left}"})

    return Route(ROUTE + "/{kind}/{owner_id}/{sha256}", evidence, methods=["GET"])


def health_route(database_of) -> Route:
    def healthz(request: Request) -> Response:
        answer = health(database_of())
        return JSONResponse(
            answer, status_code=200 if answer["status"] == "ok" else 503, headers={"Cache-Control": "no-store"}
        )

    return Route("/healthz", healthz, methods=["GET"])


def connection_script_route() -> Route:
    """The page's one script of the app's own (audit/ui/connection.js), from this origin as the CSP asks."""
    body = Path(__file__).with_name("connection.js").read_bytes()

    def script(_request: Request) -> Response:
        return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    return Route(SCRIPT, script, methods=["GET"])
