"""The store's schema revision, known without importing SQLAlchemy or Alembic."""

__all__ = ["HEAD_REVISION"]

# The newest migration. Checked without importing Alembic, which costs more than the whole
# start-up budget of `steward scan`; a test keeps it equal to Alembic's head.
HEAD_REVISION = "0005"
