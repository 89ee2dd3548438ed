"""Sessions keep the organisation sign-in's ID token on the server

Revision ID: 0025_session_id_tokens
Revises: 0024_notifications
Create Date: 2026-12-04 01:50:00

Issue 23 (docs/decisions/0049). A nullable column: the provider's ID token of a session begun
by organisation sign-in, for the `id_token_hint` of the provider's sign-out. It was in the
session cookie, which a large token (an Entra ID token with group claims) could push past the
browser's 4 KB, silently signing the person out. Existing sessions get NULL: they were begun
with a password, or their token stays in their cookie until they sign out.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025_session_id_tokens"
down_revision = "0024_notifications"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("user_sessions", sa.Column("id_token", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("user_sessions") as batch:
        batch.drop_column("id_token")
