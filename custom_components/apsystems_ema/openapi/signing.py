"""Request signing, exactly as the OpenAPI manual §2.2 specifies."""

import base64
from dataclasses import dataclass
from enum import StrEnum
import hashlib
import hmac
import time
import uuid


class SignatureMethod(StrEnum):
    """The two HMAC algorithms the API accepts."""

    HMAC_SHA256 = "HmacSHA256"
    HMAC_SHA1 = "HmacSHA1"


_DIGESTS = {
    SignatureMethod.HMAC_SHA256: hashlib.sha256,
    SignatureMethod.HMAC_SHA1: hashlib.sha1,
}


def request_path(path: str) -> str:
    """Return the part of a URL path that is signed: its last segment (sid, eid or uid)."""
    return path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def string_to_sign(
    timestamp: str,
    nonce: str,
    app_id: str,
    path: str,
    http_method: str,
    signature_method: SignatureMethod,
) -> str:
    """Join the signed parts in the manual's order."""
    return "/".join(
        (timestamp, nonce, app_id, request_path(path), http_method.upper(), signature_method)
    )


def sign(app_secret: str, message: str, signature_method: SignatureMethod) -> str:
    """Return base64(HMAC(app_secret, message)) with the chosen algorithm."""
    digest = hmac.new(
        app_secret.encode("utf-8"), message.encode("utf-8"), _DIGESTS[signature_method]
    ).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True, slots=True)
class Signer:
    """Builds the X-CA-* headers for a request."""

    app_id: str
    app_secret: str
    signature_method: SignatureMethod = SignatureMethod.HMAC_SHA256

    def __repr__(self) -> str:
        """Never show the secret."""
        return f"Signer(app_id=<redacted>, signature_method={self.signature_method})"

    def headers(
        self,
        path: str,
        http_method: str = "GET",
        *,
        timestamp_ms: int | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]:
        """Return the five X-CA headers for one request to ``path``."""
        timestamp = str(timestamp_ms if timestamp_ms is not None else time.time_ns() // 1_000_000)
        nonce = nonce or uuid.uuid4().hex
        message = string_to_sign(
            timestamp, nonce, self.app_id, path, http_method, self.signature_method
        )
        return {
            "X-CA-AppId": self.app_id,
            "X-CA-Timestamp": timestamp,
            "X-CA-Nonce": nonce,
            "X-CA-Signature-Method": str(self.signature_method),
            "X-CA-Signature": sign(self.app_secret, message, self.signature_method),
        }
