"""leads, review transitions, CRM syncs, per-tenant routing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import services.store.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

UTC = services.store.db.UTCDateTime
BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('leads',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('correlation_id', sa.String(length=200), nullable=True),
    sa.Column('score', sa.String(length=8), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('original', sa.JSON(), nullable=False),
    sa.Column('review_reasons', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('routing_reason', sa.Text(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=120), nullable=True),
    sa.Column('created_at', UTC(), nullable=False),
    sa.Column('updated_at', UTC(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_id')
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_tenant_state_created', ['tenant_id', 'state', 'created_at'], unique=False)
        batch_op.create_index('ix_leads_state', ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('lead_transitions',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('lead_id', sa.String(length=32), nullable=False),
    sa.Column('at', UTC(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('diff', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lead_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_transitions_lead_id'), ['lead_id'], unique=False)

    op.create_table('crm_syncs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('lead_id', sa.String(length=32), nullable=False),
    sa.Column('crm', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('external_ids', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTC(), nullable=False),
    sa.Column('lease_expires_at', UTC(), nullable=True),
    sa.Column('last_http_status', sa.Integer(), nullable=True),
    sa.Column('last_message', sa.Text(), nullable=True),
    sa.Column('created_at', UTC(), nullable=False),
    sa.Column('updated_at', UTC(), nullable=False),
    sa.Column('synced_at', UTC(), nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('lead_id', 'crm', name='uq_crm_syncs_lead_crm')
    )
    with op.batch_alter_table('crm_syncs', schema=None) as batch_op:
        batch_op.create_index('ix_crm_syncs_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_syncs_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_syncs_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('routing_configs',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('hot_leads', sa.String(length=16), nullable=True),
    sa.Column('needs_review_always', sa.Boolean(), nullable=True),
    sa.Column('events_url', sa.Text(), nullable=True),
    sa.Column('updated_at', UTC(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id')
    )


def downgrade() -> None:
    op.drop_table('routing_configs')
    with op.batch_alter_table('crm_syncs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_syncs_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_crm_syncs_lead_id'))
        batch_op.drop_index('ix_crm_syncs_due')
    op.drop_table('crm_syncs')
    with op.batch_alter_table('lead_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_transitions_lead_id'))
    op.drop_table('lead_transitions')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_tenant_id'))
        batch_op.drop_index('ix_leads_tenant_state_created')
        batch_op.drop_index('ix_leads_state')
    op.drop_table('leads')
