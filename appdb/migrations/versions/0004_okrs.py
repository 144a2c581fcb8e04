"""OKRs: check-ins (append-only) and the worker's weekly values of linked key results (issue 15).

Revision ID: 0004
Revises: 0003 (the lead re-chains it after 0003, teams, when both are merged)
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "okr_check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("objective", sa.String(length=120), nullable=False),
        sa.Column("key_result", sa.String(length=120), nullable=False),
        sa.Column("kr_title", sa.String(length=400), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("obstacles", sa.Text(), nullable=False),
        sa.Column("help_needed", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 10)",
            name=op.f("ck_okr_check_ins_confidence"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_okr_check_ins")),
    )
    op.create_index(op.f("ix_okr_check_ins_quarter"), "okr_check_ins", ["quarter"], unique=False)
    op.create_index(
        "ix_okr_check_ins_objective_key_result_at",
        "okr_check_ins",
        ["objective", "key_result", "at"],
        unique=False,
    )
    op.create_table(
        "okr_kr_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.String(length=120), nullable=False),
        sa.Column("key_result", sa.String(length=120), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("value_day", sa.Date(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("metric", sa.String(length=200), nullable=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_okr_kr_values")),
        sa.UniqueConstraint(
            "objective",
            "key_result",
            "week",
            name=op.f("uq_okr_kr_values_objective_key_result_week"),
        ),
    )
    op.create_index(op.f("ix_okr_kr_values_quarter"), "okr_kr_values", ["quarter"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_okr_kr_values_quarter"), table_name="okr_kr_values")
    op.drop_table("okr_kr_values")
    op.drop_index("ix_okr_check_ins_objective_key_result_at", table_name="okr_check_ins")
    op.drop_index(op.f("ix_okr_check_ins_quarter"), table_name="okr_check_ins")
    op.drop_table("okr_check_ins")
