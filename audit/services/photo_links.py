"""Evidence photos by address: who asks is proved on every request, then asked again of the database.

A page hands the browser a short-lived address signed with the server's key and bound to the
account and the photo. The route answers it in two steps that stay apart on purpose:
`signed_requester` says *who* asks (from the signature today; a session cookie can take its
place later), and `evidence_photo` says whether that account, as stored right now, may see
that finding's photo. A disabled account, a changed unit or an expired address gets nothing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from audit.errors import PermissionDenied
from audit.model import User
from audit.secret_key import server_key
from audit.services import ledger
from audit.services.permissions import Permission, require
from audit.signing import sign, verify
from audit.store.db import Database
from audit.store.users import get_account

PURPOSE = "evidence-photo-v1"
ROUTE = "/photos"
LIFETIME_SECONDS = 15 * 60
# Expiry is rounded up to this step, so a page's reruns within it give the same address and
# the browser does not fetch every photo again.
STEP_SECONDS = 5 * 60
SIZES = ("thumb", "full")


@dataclass(frozen=True)
class PhotoRequest:
    """What a photo address carries; every field is covered by the signature."""

    finding_id: str
    sha256: str
    size: str
    account: str
    expires: int
    signature: str

    def signed_parts(self) -> tuple[str, ...]:
        return self.finding_id, self.sha256, self.size, self.account, str(self.expires)


def photo_address(database: Database, actor: User, finding_id: str, sha256: str, *, thumbnail: bool,
                  now: float | None = None) -> str:
    """The path and query the browser may fetch this photo at, for this account, for a short while."""
    actor = require(actor, Permission.VIEW_LEDGER, database)
    moment = time.time() if now is None else now
    expires = math.ceil((moment + LIFETIME_SECONDS) / STEP_SECONDS) * STEP_SECONDS
    size = "thumb" if thumbnail else "full"
    request = PhotoRequest(finding_id, sha256, size, actor.id, expires, "")
    signature = sign(server_key(database.path), PURPOSE, *request.signed_parts())
    query = urlencode({"size": size, "account": actor.id, "expires": expires, "sig": signature})
    return f"{ROUTE}/{finding_id}/{sha256}?{query}"


def signed_requester(database: Database, request: PhotoRequest, now: float | None = None) -> str:
    """The account id the address was made for; refused when forged, altered or expired."""
    if request.size not in SIZES or not request.account:
        raise PermissionDenied("photo.error.refused")
    if not verify(server_key(database.path), request.signature, PURPOSE, *request.signed_parts()):
        raise PermissionDenied("photo.error.refused")
    if (time.time() if now is None else now) > request.expires:
        raise PermissionDenied("photo.error.expired")
    return request.account


def evidence_photo(database: Database, account_id: str, finding_id: str, sha256: str, *, thumbnail: bool) -> bytes:
    """The photo's bytes, if the account as stored now may see that finding (NotFound otherwise)."""
    with database.read() as cursor:
        account = get_account(cursor, account_id)
    if account is None or not account.user.active:
        raise PermissionDenied("photo.error.refused")
    data = ledger.photo(database, account.user, finding_id, sha256, thumbnail=thumbnail)
    if data is None:
        raise PermissionDenied("photo.error.refused")
    return data
