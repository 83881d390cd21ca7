"""Signing follows the manual's §2.2 recipe; vectors are computed here independently."""

import base64
import hashlib
import hmac

import pytest

from custom_components.apsystems_ema.openapi import SignatureMethod, Signer
from custom_components.apsystems_ema.openapi.signing import request_path, string_to_sign

APP_ID = "yourappid0000000000000000000000a"
SECRET = "yoursecret000000000000000000000b"
NONCE = "5e36eab8295911ee90751eff13c2920b"
TS = 1700000000123


def manual_signature(message: str, digest: str) -> str:
    """The Java snippet of §2.2.2, re-done with the standard library."""
    mac = hmac.new(SECRET.encode(), message.encode(), getattr(hashlib, digest))
    return base64.b64encode(mac.digest()).decode()


@pytest.mark.parametrize(
    ("method", "digest"),
    [(SignatureMethod.HMAC_SHA256, "sha256"), (SignatureMethod.HMAC_SHA1, "sha1")],
)
def test_headers_match_the_manual(method: SignatureMethod, digest: str) -> None:
    """All five headers, and the signature over timestamp/nonce/appId/lastSegment/GET/method."""
    signer = Signer(APP_ID, SECRET, method)
    headers = signer.headers(
        "/user/api/v2/systems/AZ12649A3DFF/devices/ecu/energy/203000001234",
        timestamp_ms=TS,
        nonce=NONCE,
    )
    expected_message = f"{TS}/{NONCE}/{APP_ID}/203000001234/GET/{method.value}"
    assert headers == {
        "X-CA-AppId": APP_ID,
        "X-CA-Timestamp": str(TS),
        "X-CA-Nonce": NONCE,
        "X-CA-Signature-Method": method.value,
        "X-CA-Signature": manual_signature(expected_message, digest),
    }


def test_fixed_vector() -> None:
    """A literal vector guards against both sides drifting together."""
    message = f"{TS}/{NONCE}/{APP_ID}/AZ12649A3DFF/GET/HmacSHA256"
    headers = Signer(APP_ID, SECRET).headers(
        "/user/api/v2/systems/summary/AZ12649A3DFF", timestamp_ms=TS, nonce=NONCE
    )
    assert headers["X-CA-Signature"] == manual_signature(message, "sha256")
    assert len(base64.b64decode(headers["X-CA-Signature"])) == 32


def test_query_and_full_path_are_not_signed() -> None:
    """Only the last path segment is signed, never the query string."""
    assert request_path("/user/api/v2/systems/energy/SID1?energy_level=hourly") == "SID1"
    assert request_path("/a/b/uid9/") == "uid9"
    assert (
        string_to_sign("1", "n", "a", "/x/y/z", "get", SignatureMethod.HMAC_SHA1)
        == "1/n/a/z/GET/HmacSHA1"
    )


def test_generated_timestamp_and_nonce() -> None:
    """Without overrides: a millisecond timestamp and a fresh 32-hex-char nonce per request."""
    signer = Signer(APP_ID, SECRET)
    first = signer.headers("/x/SID")
    second = signer.headers("/x/SID")
    assert len(first["X-CA-Timestamp"]) == 13
    assert first["X-CA-Timestamp"].isdigit()
    assert len(first["X-CA-Nonce"]) == 32
    int(first["X-CA-Nonce"], 16)
    assert first["X-CA-Nonce"] != second["X-CA-Nonce"]


def test_repr_hides_credentials() -> None:
    """Neither the secret nor the app id shows in a repr (e.g. in a traceback or log)."""
    text = repr(Signer(APP_ID, SECRET))
    assert SECRET not in text
    assert APP_ID not in text
