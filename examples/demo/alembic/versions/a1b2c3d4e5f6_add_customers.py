"""add customers

Revision ID: a1b2c3d4e5f6
Revises:
Create Date: 2026-03-10 09:12:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d4e5f6"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("customers")
