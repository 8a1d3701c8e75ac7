"""The base of every record: unknown keys are an error, never silently dropped."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """Unknown keys are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")
