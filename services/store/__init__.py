"""Durable store: SQLAlchemy models, keyword-only repository functions, Alembic migrations.

SQLite (embedded default) and PostgreSQL (production) run the same code; where they differ (job claims,
upserts) the repository branches on the dialect.
"""
