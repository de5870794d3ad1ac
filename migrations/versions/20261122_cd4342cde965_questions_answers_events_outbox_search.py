"""Questions, answers, their history, attachments, helpful votes, holidays, the e-mail outbox and search.

Revision ID: cd4342cde965
Revises: 0b5c34273c12
Create Date: 2026-11-22 00:13:12.318476

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cd4342cde965'
down_revision = '0b5c34273c12'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('holiday',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holiday')),
    sa.UniqueConstraint('day', name=op.f('uq_holiday_day'))
    )
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_pending', ['sent_at', 'next_attempt_at'], unique=False)

    op.create_table('search_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_document')),
    sa.UniqueConstraint('kind', 'object_id', name='uq_search_document_object')
    )
    _create_search_index()

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tracking_code', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('public_title', sa.String(length=200), nullable=True),
    sa.Column('public_body', sa.Text(), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('requested_agency_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('submitted', 'rejected', 'assigned', 'drafted', 'pending_approval', 'published', 'forwarded', name='question_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('asker_name', sa.String(length=120), nullable=False),
    sa.Column('asker_email', sa.String(length=254), nullable=True),
    sa.Column('asker_phone', sa.String(length=20), nullable=True),
    sa.Column('asker_address', sa.String(length=300), nullable=True),
    sa.Column('consent_publish', sa.Boolean(), nullable=False),
    sa.Column('asker_user_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('rejection_reason', sa.Enum('spam', 'abusive', 'duplicate', 'out_of_scope', name='rejection_reason', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('rejection_note', sa.Text(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('helpful_yes', sa.Integer(), nullable=False),
    sa.Column('helpful_no', sa.Integer(), nullable=False),
    sa.CheckConstraint("state != 'rejected' OR rejection_reason IS NOT NULL", name=op.f('ck_question_rejection_has_reason')),
    sa.CheckConstraint('asker_email IS NOT NULL OR asker_phone IS NOT NULL', name=op.f('ck_question_has_contact')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_question_agency_id_agency')),
    sa.ForeignKeyConstraint(['asker_user_id'], ['user_account.id'], name=op.f('fk_question_asker_user_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['user_account.id'], name=op.f('fk_question_claimed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['question.id'], name=op.f('fk_question_duplicate_of_id_question')),
    sa.ForeignKeyConstraint(['requested_agency_id'], ['agency.id'], name=op.f('fk_question_requested_agency_id_agency')),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_question_topic_id_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_question_idempotency_key')),
    sa.UniqueConstraint('tracking_code', name=op.f('uq_question_tracking_code'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index('ix_question_agency_state_due', ['agency_id', 'state', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_asker_user_id'), ['asker_user_id'], unique=False)
        batch_op.create_index('ix_question_public_list', ['state', 'published_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_topic_id'), ['topic_id'], unique=False)

    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user_account.id'], name=op.f('fk_answer_approved_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_answer_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_answer_question_id_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('question_id', name=op.f('uq_answer_question_id'))
    )
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_attachment_question_id_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachment_stored_name'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_question_id'), ['question_id'], unique=False)

    op.create_table('helpful_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('voter_key', sa.String(length=64), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_helpful_vote_question_id_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helpful_vote')),
    sa.UniqueConstraint('question_id', 'voter_key', name='uq_helpful_vote_voter')
    )
    op.create_table('internal_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_internal_note_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_internal_note_question_id_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_internal_note'))
    )
    with op.batch_alter_table('internal_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_internal_note_question_id'), ['question_id'], unique=False)

    op.create_table('question_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_question_event_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_question_event_agency_id_agency')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_question_event_question_id_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_event'))
    )
    with op.batch_alter_table('question_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_event_question_id'), ['question_id'], unique=False)

    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_approval', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    _drop_search_index()
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_column('requires_approval')

    with op.batch_alter_table('question_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_event_question_id'))

    op.drop_table('question_event')
    with op.batch_alter_table('internal_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_internal_note_question_id'))

    op.drop_table('internal_note')
    op.drop_table('helpful_vote')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_question_id'))

    op.drop_table('attachment')
    op.drop_table('answer')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_topic_id'))
        batch_op.drop_index(batch_op.f('ix_question_submitted_at'))
        batch_op.drop_index('ix_question_public_list')
        batch_op.drop_index(batch_op.f('ix_question_asker_user_id'))
        batch_op.drop_index('ix_question_agency_state_due')

    op.drop_table('question')
    op.drop_table('search_document')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_pending')

    op.drop_table('outbox_message')
    op.drop_table('holiday')


def _create_search_index():
    """The full-text index over search_document.folded: FTS5 on SQLite, GIN over a tsvector on PostgreSQL."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(folded, content='search_document', "
                   "content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
        op.execute("CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
                   "INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END")
        op.execute("CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
                   "INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded); END")
        op.execute("CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
                   "INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded); "
                   "INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END")
    elif dialect == "postgresql":
        op.execute("CREATE INDEX ix_search_document_fts ON search_document "
                   "USING gin (to_tsvector('simple', folded))")


def _drop_search_index():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("search_document_ai", "search_document_ad", "search_document_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_document_fts")
