"""Online dialogue sessions: officials, questions, votes, answers and their revisions.

Revision ID: 210f4a667473
Revises: cd4342cde965
Create Date: 2026-11-22 01:02:42.695807

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '210f4a667473'
down_revision = 'cd4342cde965'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dialogue_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('host_agency_id', sa.Integer(), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('questions_open_at', sa.DateTime(), nullable=False),
    sa.Column('questions_close_at', sa.DateTime(), nullable=False),
    sa.Column('stream_url', sa.String(length=300), nullable=True),
    sa.Column('cover_image', sa.String(length=64), nullable=True),
    sa.Column('state', sa.Enum('draft', 'announced', 'live', 'ended', name='session_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('current_question_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_dialogue_session_ends_after_start')),
    sa.CheckConstraint('questions_close_at > questions_open_at', name=op.f('ck_dialogue_session_window_closes_after_opening')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_dialogue_session_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['host_agency_id'], ['agency.id'], name=op.f('fk_dialogue_session_host_agency_id_agency')),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_dialogue_session_topic_id_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_session'))
    )
    with op.batch_alter_table('dialogue_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_session_host_agency_id'), ['host_agency_id'], unique=False)
        batch_op.create_index('ix_dialogue_session_state_starts', ['state', 'starts_at'], unique=False)

    op.create_table('dialogue_official',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('position_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_session.id'], name=op.f('fk_dialogue_official_session_id_dialogue_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_official'))
    )
    with op.batch_alter_table('dialogue_official', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_official_session_id'), ['session_id'], unique=False)

    op.create_table('dialogue_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('public_body', sa.Text(), nullable=True),
    sa.Column('asker_name', sa.String(length=120), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('asker_email', sa.String(length=254), nullable=True),
    sa.Column('asker_phone', sa.String(length=20), nullable=True),
    sa.Column('state', sa.Enum('new', 'approved', 'shortlisted', 'answered', 'hidden', name='dialogue_question_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('hidden_reason', sa.String(length=300), nullable=True),
    sa.Column('vote_count', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('vote_count >= 0', name=op.f('ck_dialogue_question_votes_not_negative')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['dialogue_question.id'], name=op.f('fk_dialogue_question_merged_into_id_dialogue_question')),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_session.id'], name=op.f('fk_dialogue_question_session_id_dialogue_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_question')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_dialogue_question_idempotency_key'))
    )
    with op.batch_alter_table('dialogue_question', schema=None) as batch_op:
        batch_op.create_index('ix_dialogue_question_session_state', ['session_id', 'state', 'vote_count'], unique=False)

    op.create_table('dialogue_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('typed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['official_id'], ['dialogue_official.id'], name=op.f('fk_dialogue_answer_official_id_dialogue_official'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['dialogue_question.id'], name=op.f('fk_dialogue_answer_question_id_dialogue_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['typed_by_id'], ['user_account.id'], name=op.f('fk_dialogue_answer_typed_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_answer')),
    sa.UniqueConstraint('question_id', name=op.f('uq_dialogue_answer_question_id'))
    )
    with op.batch_alter_table('dialogue_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_answer_published_at'), ['published_at'], unique=False)

    op.create_table('dialogue_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('voter_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['dialogue_question.id'], name=op.f('fk_dialogue_vote_question_id_dialogue_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_vote')),
    sa.UniqueConstraint('question_id', 'voter_key', name='uq_dialogue_vote_voter')
    )
    op.create_table('dialogue_answer_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('edited_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['dialogue_answer.id'], name=op.f('fk_dialogue_answer_revision_answer_id_dialogue_answer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['edited_by_id'], ['user_account.id'], name=op.f('fk_dialogue_answer_revision_edited_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_answer_revision'))
    )
    with op.batch_alter_table('dialogue_answer_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_answer_revision_answer_id'), ['answer_id'], unique=False)
    # The session points at its current question, which points back at its session: add this key last.
    with op.batch_alter_table('dialogue_session', schema=None) as batch_op:
        batch_op.create_foreign_key(op.f('fk_dialogue_session_current_question_id_dialogue_question'),
                                    'dialogue_question', ['current_question_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('dialogue_session', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_dialogue_session_current_question_id_dialogue_question'),
                                 type_='foreignkey')
    with op.batch_alter_table('dialogue_answer_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_answer_revision_answer_id'))

    op.drop_table('dialogue_answer_revision')
    op.drop_table('dialogue_vote')
    with op.batch_alter_table('dialogue_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_answer_published_at'))

    op.drop_table('dialogue_answer')
    with op.batch_alter_table('dialogue_question', schema=None) as batch_op:
        batch_op.drop_index('ix_dialogue_question_session_state')

    op.drop_table('dialogue_question')
    with op.batch_alter_table('dialogue_official', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_official_session_id'))

    op.drop_table('dialogue_official')
    with op.batch_alter_table('dialogue_session', schema=None) as batch_op:
        batch_op.drop_index('ix_dialogue_session_state_starts')
        batch_op.drop_index(batch_op.f('ix_dialogue_session_host_agency_id'))

    op.drop_table('dialogue_session')
