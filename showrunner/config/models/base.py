"""The base of every model (strict types, unknown keys refused, frozen once parsed); field docstrings are read by `showrunner.config.reference`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def replaces(attribute: str) -> dict[str, str]:
    """A field's `json_schema_extra`: the 2015 LWRP attribute it replaces, for the configuration reference."""
    return {"replaces": attribute}
