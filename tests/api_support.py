"""Calling the JSON API in tests: make a token, send it, and read a refusal as the problem document it must be."""
from __future__ import annotations

from tracker.services import api_tokens as token_service


def token(user, scopes=("read",), days=30):
    """A personal access token of `user`: (ApiToken, secret)."""
    return token_service.create_token(user, "Test", list(scopes), days, actor=user)


def bearer(secret: str) -> dict:
    """The header that authenticates a request with this token."""
    return {"Authorization": f"Bearer {secret}"}


def problem(response, status: int) -> dict:
    """The response's RFC 9457 problem document, asserting its status and shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["type"] and body["detail"]
    return body
