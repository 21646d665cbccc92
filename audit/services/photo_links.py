"""Evidence photos by address: who asks is proved on every request, then asked again of the database.

A page hands the browser a short-lived address signed with the server's key and bound to the
account and the photo: a finding's photo, or a photo on a finding form still being filled in.
The route answers it in two steps that stay apart on purpose: `signed_requester` says *who*
asks (from the signature today; a session cookie can take its place later), and
`evidence_photo` says whether that account, as stored right now, may see that photo. A
disabled account, a changed unit or an expired address gets nothing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from audit.errors import PermissionDenied
from audit.model import User
from audit.secret_key import server_key
from audit.services import inspections, ledger
from audit.services.permissions import Permission, require
from audit.signing import sign, verify
from audit.store.db import Database
from audit.store.users import get_account

ROUTE = "/photos"
# What the photo belongs to: the path segment after ROUTE, and who may see it.
KINDS = {"finding": Permission.VIEW_LEDGER, "draft": Permission.RUN_INSPECTION}
LIFETIME_SECONDS = 15 * 60
# Expiry is rounded up to this step, so a page's reruns within it give the same address and
# the browser does not fetch every photo again.
STEP_SECONDS = 5 * 60
SIZES = ("thumb", "full")


@dataclass(frozen=True)
class PhotoRequest:
    """What a photo address carries; every field is covered by the signature."""

    kind: str
    owner_id: str  # the finding, or the finding form
    sha256: str
    size: str
    account: str
    expires: int
    signature: str

    def signed_parts(self) -> tuple[str, ...]:
        return self.owner_id, self.sha256, self.size, self.account, str(self.expires)


def photo_address(
    database: Database,
    actor: User,
    owner_id: str,
    sha256: str,
    *,
    thumbnail: bool,
    kind: str = "finding",
    now: float | None = None,
) -> str:
    """The path and query the browser may fetch this photo at, for this account, for a short while."""
    actor = require(actor, KINDS[kind], database)
    moment = time.time() if now is None else now
    expires = math.ceil((moment + LIFETIME_SECONDS) / STEP_SECONDS) * STEP_SECONDS
    size = "thumb" if thumbnail else "full"
    request = PhotoRequest(kind, owner_id, sha256, size, actor.id, expires, "")
    signature = sign(server_key(database.path), _purpose(kind), *request.signed_parts())
    query = urlencode({"size": size, "account": actor.id, "expires": expires, "sig": signature})
    return f"{ROUTE}/{kind}/{owner_id}/{sha256}?{query}"


def _purpose(kind: str) -> str:
    """One signing purpose per kind, so a finding's address never opens a form's photo or the reverse."""
    return f"{kind}-photo-v1"


def signed_requester(database: Database, request: PhotoRequest, now: float | None = None) -> str:
    """The account id the address was made for; refused when forged, altered or expired."""
    if request.kind not in KINDS or request.size not in SIZES or not request.account:
        raise PermissionDenied("photo.error.refused")
    if not verify(server_key(database.path), request.signature, _purpose(request.kind), *request.signed_parts()):
        raise PermissionDenied("photo.error.refused")
    if (time.time() if now is None else now) > request.expires:
        raise PermissionDenied("photo.error.expired")
    return request.account


def evidence_photo(database: Database, account_id: str, request: PhotoRequest) -> bytes:
    """The photo's bytes, if the account as stored now may see it (NotFound or PermissionDenied otherwise)."""
    with database.read() as cursor:
        account = get_account(cursor, account_id)
    if account is None or not account.user.active:
        raise PermissionDenied("photo.error.refused")
    thumbnail = request.size == "thumb"
    if request.kind == "draft":
        data = inspections.draft_photo(database, account.user, request.owner_id, request.sha256, thumbnail=thumbnail)
    else:
        data = ledger.photo(database, account.user, request.owner_id, request.sha256, thumbnail=thumbnail)
    if data is None:
        raise PermissionDenied("photo.error.refused")
    return data
