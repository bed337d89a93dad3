"""Token helpers for API tests."""

from opencmo.api.tokens import token_create


def token_for(user, workspace, scopes=("write",), days: int | None = 30) -> str:
    _, secret = token_create(
        actor=user, workspace=workspace, name="test", scopes=list(scopes), expires_in_days=days
    )
    return secret


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
