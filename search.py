"""Diacritic-insensitive full-text search, the same on SQLite (FTS5) and PostgreSQL (GIN over tsvector).

The stored `folded` text holds only folded words: one line per text given to index() (the first is the title),
words of [a-z0-9] separated by single spaces. Both databases then split it into exactly the same words, so the
same documents match; the ranking is computed here in Python, so the same documents come back in the same order.
"""
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Optional

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Mapped, mapped_column

from database import NFCText
from extensions import db

MAX_TERMS = 8
MAX_QUERY_CHARS = 2000
# PostgreSQL leaves words over 2047 bytes out of a tsvector while FTS5 keeps them: cut every word the same way.
MAX_WORD = 64
# The ranking reads at most this many matches (the newest) and this much of each: bounded work at any size.
CANDIDATES = 500
SCORED_CHARS = 10000
# PostgreSQL's bitmap of matching rows must fit in work_mem to stay exact: ~10 MB for a million documents.
WORK_MEM_BYTES = 64 * 1024 * 1024

# A word as both databases split folded text: a run of [a-z0-9], except that PostgreSQL's parser reads a
# leading "12e3" as a number and splits it from letters that follow ("12e3abc" → "12e3" "abc"): split it here too.
_WORD = re.compile(r"[0-9]+e[0-9]+(?=[a-z])|[a-z0-9]+")
# A word of the original text for highlight(): letters and digits of any script.
_TEXT_WORDS = re.compile(r"([^\W_]+)")
_SAVE_PLANNER = sa.text("SELECT current_setting('enable_seqscan') AS seqscan, current_setting('work_mem') AS work_mem")
_STEER_PLANNER = sa.text("SELECT set_config('enable_seqscan', 'off', true), set_config('work_mem', "
                         "greatest(pg_size_bytes(current_setting('work_mem')), :work_mem) / 1024 || 'kB', true)")
_RESTORE_PLANNER = sa.text("SELECT set_config('enable_seqscan', :seqscan, true), "
                           "set_config('work_mem', :work_mem, true)")
# Sorting key for documents without a publication date: after every dated one.
_UNDATED = datetime.min


class SearchDocument(db.Model):
    """The searchable text of one published object, folded (no marks, đ→d, lower case) by fold()."""

    __tablename__ = "search_document"
    __table_args__ = (sa.UniqueConstraint("kind", "object_id", name="uq_search_document_object"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    object_id: Mapped[int]
    folded: Mapped[str] = mapped_column(NFCText)
    published_at: Mapped[Optional[datetime]]


@dataclass
class SearchPage:
    """One page of results: object ids in rank order, how many match in all, and the folded query words."""

    ids: list[int]
    total: int
    terms: list[str]


def fold(text: str) -> str:
    """Text without marks, with đ→d, in lower case: "Thủ tục đất đai" → "thu tuc dat dai"."""
    decomposed = unicodedata.normalize("NFD", (text or "").lower())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    # đ has no decomposition, so NFD leaves it; NFC again so that stored and queried forms are one spelling.
    return unicodedata.normalize("NFC", bare.replace("đ", "d"))


def words(folded: str) -> list[str]:
    """The words of folded text, as both databases split them."""
    return [word[:MAX_WORD] for word in _WORD.findall(folded)]


def query_terms(query: str) -> list[str]:
    """The distinct folded words of a query, at most MAX_TERMS; everything else the user typed is dropped."""
    found = words(fold(str(query or "")[:MAX_QUERY_CHARS]))
    return list(dict.fromkeys(found))[:MAX_TERMS]


def folded_document(*texts: str) -> str:
    """What is stored for these texts: their folded words, one line per text."""
    return "\n".join(" ".join(words(fold(text))) for text in texts)


def index(kind: str, object_id: int, *texts: str, published_at: Optional[datetime] = None) -> SearchDocument:
    """Put an object's texts (title first) in the search, or replace them; the caller commits."""
    document = db.session.scalar(sa.select(SearchDocument).filter_by(kind=kind, object_id=object_id))
    if document is None:
        document = SearchDocument(kind=kind, object_id=object_id)
        db.session.add(document)
    document.folded = folded_document(*texts)
    document.published_at = published_at
    return document


def remove(kind: str, object_id: int) -> None:
    """Take an object out of the search, if it is there; the caller commits."""
    db.session.execute(sa.delete(SearchDocument).filter_by(kind=kind, object_id=object_id))


def search(kind: str, query: str, limit: int = 20, offset: int = 0) -> SearchPage:
    """The documents of a kind holding every word of the query (whole or as a prefix), best first."""
    terms = query_terms(query)
    limit, offset = max(0, int(limit)), max(0, int(offset))
    if not terms:
        return SearchPage([], 0, [])
    where = (_kind_is(kind), _matches(terms))
    with _steered_to_the_index():
        if offset >= CANDIDATES:  # a page past the ranked candidates: simply newest first
            rows = _newest(where, limit, offset)
            return SearchPage([row.object_id for row in rows], rows[0].total if rows else _count(where), terms)
        rows = _newest(where, max(CANDIDATES, offset + limit), 0)
        texts = _texts([row.id for row in rows[:CANDIDATES]])
    # The newest CANDIDATES matches are ranked; after them every other match follows, newest first.
    ids = _ranked(rows[:CANDIDATES], texts, terms) + [row.object_id for row in rows[CANDIDATES:]]
    return SearchPage(ids[offset:offset + limit], rows[0].total if rows else 0, terms)


def _on_postgresql():
    """Whether the session talks to PostgreSQL (else SQLite)."""
    return db.session.get_bind(mapper=SearchDocument).dialect.name == "postgresql"


def _kind_is(kind):
    """The condition on the kind; on PostgreSQL kept off the unique index so that the GIN index is chosen."""
    if _on_postgresql():
        # Read through the (kind, object_id) index, every row of the kind would have its tsvector recomputed.
        return SearchDocument.kind.op("||")(sa.literal_column("''")) == kind
    return SearchDocument.kind == kind


def _matches(terms):
    """The condition that a document holds every term as a word or the start of one, in this database's index."""
    return _tsvector_matches(terms) if _on_postgresql() else _fts5_matches(terms)


def _tsvector_matches(terms):
    """PostgreSQL: the very expression of ix_search_document_fts, so the GIN index is used."""
    simple = sa.literal_column("'simple'")
    # Terms are [a-z0-9]+ only, so joined as prefixes they cannot form any other tsquery syntax.
    tsquery = sa.func.to_tsquery(simple, sa.bindparam("tsquery", " & ".join(f"{t}:*" for t in terms)))
    return sa.func.to_tsvector(simple, SearchDocument.folded).bool_op("@@")(tsquery)


def _fts5_matches(terms):
    """SQLite: a MATCH on the FTS5 table, each term quoted as a prefix token (its rowid is the document id)."""
    # Terms are [a-z0-9]+ only: quoted, none can be read as an FTS5 operator, column filter or bracket.
    match = " ".join(f'"{t}"*' for t in terms)
    fts = sa.select(sa.column("rowid")).select_from(sa.table("search_fts"))
    return SearchDocument.id.in_(fts.where(sa.text("search_fts MATCH :fts_query").bindparams(fts_query=match)))


@contextmanager
def _steered_to_the_index():
    """On PostgreSQL, run the search queries with the seq scan off and room for an exact bitmap, then restore."""
    if not _on_postgresql():
        yield
        return
    # The index is on an expression: any plan that reads rows without it (a seq scan, a lossy bitmap) computes
    # to_tsvector again for each row, ~0.1 ms, which the planner does not know: 50 s for a common word at 1M rows.
    saved = db.session.execute(_SAVE_PLANNER).one()
    db.session.execute(_STEER_PLANNER, {"work_mem": WORK_MEM_BYTES})
    yield
    # Not in a finally: after a database error the transaction is aborted, and these settings go with it.
    db.session.execute(_RESTORE_PLANNER, {"seqscan": saved.seqscan, "work_mem": saved.work_mem})


def _newest_first():
    """The order of candidates: newest publication first, undated last, then the higher object id."""
    return SearchDocument.published_at.desc().nulls_last(), SearchDocument.object_id.desc()


def _newest(where, limit, offset):
    """Matches newest first, each row carrying the count of all matches: one pass over them for both."""
    return db.session.execute(
        sa.select(SearchDocument.id, SearchDocument.object_id, SearchDocument.published_at,
                  sa.func.count().over().label("total"))
        .where(*where).order_by(*_newest_first()).limit(limit).offset(offset)).all()


def _count(where):
    """How many documents match."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument).where(*where))


def _texts(ids):
    """The start of the folded text of these documents, by id: enough to rank them, cheap at any size."""
    stmt = sa.select(SearchDocument.id, sa.func.substr(SearchDocument.folded, 1, SCORED_CHARS)).where(
        SearchDocument.id.in_(ids))
    return dict(db.session.execute(stmt).all())


def _ranked(rows, texts, terms):
    """Object ids of the rows, best first by a relevance computed here from stored data: the same everywhere."""
    key = partial(_rank_key, texts=texts, terms=terms, phrase=_phrase_pattern(terms))
    return [row.object_id for row in sorted(rows, key=key, reverse=True)]


def _phrase_pattern(terms):
    """A regex finding all terms in a row as consecutive words (each also as a prefix), or None for one term."""
    if len(terms) < 2:
        return None
    return re.compile(r"(?<!\S)" + r"\S* ".join(re.escape(t) for t in terms))


def _rank_key(row, texts, terms, phrase):
    """Sort key, higher first: term points, the query as a phrase in the title, newest, higher object id."""
    title, _, body = (texts.get(row.id) or "").partition("\n")
    # Stored words are separated by single spaces (lines by newlines): padded, a word is found with a plain `in`.
    padded_title, padded_body = f" {title} ", " {} ".format(body.replace("\n", " "))
    points = sum(_term_points(padded_title, padded_body, term) for term in terms)
    in_title = bool(phrase and phrase.search(title))
    return points, in_title, row.published_at or _UNDATED, row.object_id


def _term_points(title, body, term):
    """How well one term matches: a whole word of the title 4, the start of one 3; in the rest 2 and 1."""
    whole, start = f" {term} ", f" {term}"
    for points, needle, text in ((4, whole, title), (3, start, title), (2, whole, body), (1, start, body)):
        if needle in text:
            return points
    return 0


def highlight(text: str, terms) -> Markup:
    """The text, HTML-escaped, each word whose folded form starts with a term wrapped in <mark>."""
    terms = tuple(words(fold(" ".join([terms] if isinstance(terms, str) else terms or []))))
    # NFC so that a letter and its marks stay one word for the regex, as they are stored.
    pieces = _TEXT_WORDS.split(unicodedata.normalize("NFC", str(text or "")))
    # split() with a group alternates: text between words at even positions, words at odd ones.
    return Markup("").join(Markup("<mark>{}</mark>").format(piece) if n % 2 and _starts_with(piece, terms)
                           else piece for n, piece in enumerate(pieces))


def _starts_with(word, terms):
    """Whether a word of the original text, folded, starts with one of the terms."""
    return bool(terms) and any(part.startswith(terms) for part in words(fold(word)))
