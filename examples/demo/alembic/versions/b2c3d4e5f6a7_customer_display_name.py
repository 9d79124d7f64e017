"""customer display name

Revision ID: b2c3d4e5f6a7
Revises: a1b2c3d4e5f6
Create Date: 2026-03-18 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b2c3d4e5f6a7"
down_revision = "a1b2c3d4e5f6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("display_name", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("customers", "display_name")
