"""Typed models of the ``alerts:`` list of ``steward.yml``: where alerts go, and which.

One flat :class:`AlertRoute` model with a ``type`` field, not a tagged union: the loader
maps validation errors to file:line:column by their path, and a union would add its tag
to that path. Fields that do not apply to a route's type are rejected by name instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from datasteward.durations import parse_duration
from datasteward.errors import did_you_mean

__all__ = ["AlertRoute", "AlertRoutes", "SmtpConfig"]

_FIELDS_OF = {
    "slack": {"url"},
    "webhook": {"url", "headers"},
    "email": {"smtp", "from_", "to"},
}
_REQUIRED = {"slack": ("url",), "webhook": ("url",), "email": ("smtp", "from_", "to")}
_SPELLED = {"from_": "from"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SmtpConfig(_Strict):
    """The mail server of an email route; credentials are read from the environment."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    # STARTTLS upgrades the connection before credentials or mail are sent.
    starttls: bool = True
    username_env: str | None = None
    password_env: str | None = None

    @model_validator(mode="after")
    def _both_credentials(self) -> SmtpConfig:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("give both username_env and password_env, or neither")
        return self


class AlertRoute(_Strict):
    """One destination (Slack, a webhook or email) and the results it receives."""

    name: str = Field(min_length=1)
    type: Literal["slack", "webhook", "email"]
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    smtp: SmtpConfig | None = None
    from_: str | None = Field(default=None, alias="from")
    to: list[str] = Field(default_factory=list)
    # None: every dataset.
    datasets: list[str] | None = Field(default=None, min_length=1)
    # error: checks of severity error; warn: checks of severity warn and error.
    severity: Literal["error", "warn"] = "error"
    retries: int = Field(default=3, ge=0, le=10)
    backoff: str = "1s"
    timeout: str = "10s"

    @field_validator("datasets", mode="before")
    @classmethod
    def _datasets_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("to", mode="before")
    @classmethod
    def _to_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("backoff", "timeout")
    @classmethod
    def _duration(cls, text: str) -> str:
        seconds = parse_duration(text).total_seconds()
        if not 0 < seconds <= 60:
            raise ValueError(f"{text!r} must be more than 0s and at most 60s")
        return text

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http:// or https:// URL")
        return url

    @field_validator("url", "headers", "smtp", "from_", "to")
    @classmethod
    def _applies_to_type(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs only for keys that were written: ``type`` is declared first, so it is known.
        route_type = info.data.get("type")
        if route_type is not None and info.field_name not in _FIELDS_OF[route_type]:
            raise ValueError(f"does not apply to a {route_type} route")
        return value

    @model_validator(mode="after")
    def _required_for_the_type(self) -> AlertRoute:
        for field in _REQUIRED[self.type]:
            if not getattr(self, field):
                raise ValueError(f"a {self.type} route needs '{_SPELLED.get(field, field)}:'")
        return self

    @property
    def backoff_delta(self) -> timedelta:
        return parse_duration(self.backoff)

    @property
    def timeout_delta(self) -> timedelta:
        return parse_duration(self.timeout)


def _routes_fit_the_project(routes: list[AlertRoute], info: ValidationInfo) -> list[AlertRoute]:
    """Route names are unique and name known datasets (``datasets`` is validated first)."""
    seen: set[str] = set()
    for route in routes:
        if route.name in seen:
            raise ValueError(f"two routes are named {route.name!r}")
        seen.add(route.name)
    datasets = info.data.get("datasets")
    if datasets is None:
        return routes
    for route in routes:
        for name in route.datasets or []:
            if name not in datasets:
                hint = did_you_mean(name, datasets) or f"known: {', '.join(datasets) or 'none'}"
                raise ValueError(f"route {route.name!r} names unknown dataset {name!r} ({hint})")
    return routes


AlertRoutes = Annotated[list[AlertRoute], AfterValidator(_routes_fit_the_project)]
