"""Alembic environment: migrations run on the connection ``Store.open`` hands over.

``Store.open`` holds that connection inside a transaction and a migration lock, so this
script neither connects nor commits; the caller commits once every revision has run.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
