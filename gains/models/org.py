"""Who works where: departments, their teams, and the people who sign in."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from gains.models.base import NEVER_REUSED_IDS, Base, UTCDateTime, enum_column_type, utcnow
from gains.models.enums import Role

if TYPE_CHECKING:
    from gains.models.improvement import Improvement

# Roles whose work is tied to one team (and so one department).
TEAM_ROLES = (Role.MEMBER, Role.MANAGER)


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (
        CheckConstraint("length(code) BETWEEN 2 AND 12", name="code_length"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    teams: Mapped[list[Team]] = relationship(back_populates="department", order_by="Team.name")

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("department_id", "name"),
        # Target of the composite foreign key on improvements, which proves at the database
        # level that an improvement's department is its team's department.
        UniqueConstraint("id", "department_id"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship(back_populates="teams")
    members: Mapped[list[User]] = relationship(back_populates="team")
    improvements: Mapped[list[Improvement]] = relationship(back_populates="team")

    def __repr__(self) -> str:
        return f"<Team {self.name!r}>"


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role NOT IN ('member', 'manager') OR team_id IS NOT NULL", name="team_roles_have_team"
        ),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "role"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to sign a user out everywhere: each session's row keeps the version it began at.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship(back_populates="members")

    # The token of the session this object was loaded for or signed in with (set by
    # gains.services.people.user_sessions); not a column, and None outside a browser session.
    session_token = None

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt with a random salt.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_session_token(self) -> str:
        # What Flask-Login keeps in the cookie (its `id_attribute`, gains.auth): the session's
        # token, which names its row in user_sessions and through it this user.
        if self.session_token is None:
            raise LookupError(f"{self!r} has no session: start one with user_sessions")
        return self.session_token

    @property
    def department_id(self) -> int | None:
        return self.team.department_id if self.team else None

    @property
    def department(self) -> Department | None:
        return self.team.department if self.team else None

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
