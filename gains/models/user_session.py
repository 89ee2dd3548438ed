"""Signed-in sessions kept on the server, one row per sign-in.

Started, looked up and ended by `gains.services.people.user_sessions`.

The session cookie stays a signed Flask cookie (the app servers keep no state); it carries a
random token whose SHA-256 names a row here. A session is valid while its row exists, is not
past `expires_at`, and was made at the user's current `session_version`: signing out deletes
the row, and bumping the version ends every session of the user at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gains.models.base import Base, UTCDateTime


class UserSession(Base):
    """Only the SHA-256 of the token is kept: a copy of this table (a backup, say) holds no
    session anyone could present. A plain hash is enough for 256 random bits."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Absolute: a session is never extended, so reading a page never writes.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A session begun by organisation sign-in: the provider's ID token, for the
    # `id_token_hint` of its sign-out. Here, not in the cookie, which it could outgrow. It
    # opens nothing in Gains (Gains never accepts an ID token as a sign-in).
    id_token: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<UserSession of user {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}>"
