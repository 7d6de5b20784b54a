"""Steward: data quality management where the data lives.

The Python API::

    import datasteward
    result = datasteward.validate(df, [{"not_null": ["id"]}, {"unique": "id"}])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["__version__", "validate"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from datasteward.api import validate


def __getattr__(name: str) -> Any:
    # Lazy: ``import datasteward`` (and so ``steward --help``) must not load the engines.
    if name == "validate":
        from datasteward.api import validate

        return validate
    raise AttributeError(name)
