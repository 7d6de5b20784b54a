"""Numeric bounds shared by checks that compare one observed value (min, max, equals)."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from datasteward.checks.base import CheckParams

__all__ = ["ThresholdParams", "describe_bounds", "within"]


class ThresholdParams(CheckParams):
    min: float | None = None
    max: float | None = None
    equals: float | None = None
    strict_min: bool = False
    strict_max: bool = False

    @model_validator(mode="after")
    def _needs_a_bound(self) -> ThresholdParams:
        if self.min is None and self.max is None and self.equals is None:
            raise ValueError("give at least one of min, max, equals")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


def within(value: float | None, bounds: ThresholdParams) -> bool:
    if value is None:
        return False
    if bounds.equals is not None and value != bounds.equals:
        return False
    if bounds.min is not None and (
        value <= bounds.min if bounds.strict_min else value < bounds.min
    ):
        return False
    return not (
        bounds.max is not None
        and (value >= bounds.max if bounds.strict_max else value > bounds.max)
    )


def describe_bounds(bounds: ThresholdParams) -> str:
    if bounds.equals is not None:
        return f"= {_number(bounds.equals)}"
    parts = []
    if bounds.min is not None:
        parts.append(f"{'>' if bounds.strict_min else '>='} {_number(bounds.min)}")
    if bounds.max is not None:
        parts.append(f"{'<' if bounds.strict_max else '<='} {_number(bounds.max)}")
    return " and ".join(parts)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
