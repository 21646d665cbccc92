"""The routes that set and clear the session cookie, which a Streamlit script cannot do itself.

After signing in, the page loads `/session/start?code=...` (an image request: the CSP allows images
from this server, and no script is needed). The route exchanges the one-time code for the session's
token and sets it as an HttpOnly cookie, so page script never reads it. Sign-out loads
`/session/end`, which ends the cookie's session and clears the cookie. Both refuse requests made
from another site, as Streamlit's own XSRF protection does.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from audit.services import sessions

COOKIE = "audit_session"
START, END = "/session/start", "/session/end"
_NO_STORE = {"Cache-Control": "no-store"}


def same_origin(request: Request) -> bool:
    """Sent by this app's own page: Sec-Fetch-Site says so, or (a browser without it) Origin does."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    return origin is not None and origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


def _set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=sessions.MAX_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")


def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE)


def session_routes(database_of) -> list[Route]:
    async def start(request: Request) -> Response:
        if not same_origin(request):
            return Response(status_code=403, headers=_NO_STORE)
        code = request.query_params.get("code", "")
        if not code and request.method == "POST":
            code = str((await request.form()).get("code", ""))
        token = sessions.redeem(database_of(), code)
        if token is None:
            return Response(status_code=403, headers=_NO_STORE)
        response = Response(status_code=204, headers=_NO_STORE)
        _set_cookie(response, request, token)
        return response

    def end(request: Request) -> Response:
        if not same_origin(request):
            return Response(status_code=403, headers=_NO_STORE)
        sessions.end_by_token(database_of(), session_token(request))
        response = Response(status_code=204, headers=_NO_STORE)
        _clear_cookie(response, request)
        return response

    return [Route(START, start, methods=["GET", "POST"]), Route(END, end, methods=["GET", "POST"])]
