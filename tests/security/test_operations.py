"""The local operations route's gate: loopback only, signed with the server key, fresh, used once."""

from __future__ import annotations

import time

from audit.operations import Gate, signed_headers

KEY = b"k" * 64
PATH = "/operations/backup"
BODY = b'{"out": "/tmp/x"}'


def test_a_signed_fresh_request_from_loopback_passes_once():
    gate, headers = Gate(KEY), signed_headers(KEY, PATH, BODY)
    assert gate.refusal("127.0.0.1", PATH, headers, BODY) is None
    assert gate.refusal("127.0.0.1", PATH, headers, BODY) == "request already used"
    assert gate.refusal("::1", PATH, signed_headers(KEY, PATH, BODY), BODY) is None


def test_other_clients_are_refused_even_with_a_valid_signature():
    gate = Gate(KEY)
    for client in ("10.0.0.5", "192.168.1.20", "2001:db8::1", None, "localhost-ish"):
        assert gate.refusal(client, PATH, signed_headers(KEY, PATH, BODY), BODY) == "only local clients may ask"


def test_wrong_key_other_path_other_body_and_old_requests_are_refused():
    gate = Gate(KEY)
    assert gate.refusal("127.0.0.1", PATH, signed_headers(b"x" * 64, PATH, BODY), BODY) == "bad signature"
    assert gate.refusal("127.0.0.1", PATH, signed_headers(KEY, "/operations/other", BODY), BODY) == "bad signature"
    assert gate.refusal("127.0.0.1", PATH, signed_headers(KEY, PATH, BODY), b"{}") == "bad signature"
    assert gate.refusal("127.0.0.1", PATH, {}, BODY) == "bad signature"
    old = signed_headers(KEY, PATH, BODY, now=time.time() - 120)
    assert gate.refusal("127.0.0.1", PATH, old, BODY) == "request too old"
