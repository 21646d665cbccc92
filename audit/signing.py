"""HMAC signatures made with the server's key, one purpose per signature.

The purpose is part of what is signed, so a signature made for one use (a photo address)
can never be replayed as another (an operation on the local route).
"""

from __future__ import annotations

import hashlib
import hmac


def sign(key: bytes, purpose: str, *parts: str) -> str:
    message = "\n".join((purpose, *parts)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(key: bytes, signature: str, purpose: str, *parts: str) -> bool:
    return hmac.compare_digest(sign(key, purpose, *parts), signature or "")
