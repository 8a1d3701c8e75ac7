"""The pipeline file (pipelines/*.yaml) as pydantic sections: unknown keys are errors, every
field documented, relative paths resolved against the file. Imports only records and errors.

The screening instruments' tables (config/instruments.py) live here too: the sampler section
is validated against their band names, and output rows carry their totals and bands.
"""

from healme_synth.config.filters import LANGUAGE_SCRIPTS, FilterName, FiltersSection
from healme_synth.config.judges import JudgeName, JudgeSection
from healme_synth.config.load import load_pipeline
from healme_synth.config.models import (
    EMBEDDED_NAME,
    ModelSection,
    OpenAIModel,
    ScriptedModel,
    VllmModel,
)
from healme_synth.config.pipeline import Pipeline, PipelineConfig, canonical_json
from healme_synth.config.roles import JUDGE_ROLE, RoleSection, RolesSection
from healme_synth.config.safety import SafetySection
from healme_synth.config.sampler import SamplerSection
from healme_synth.config.sections import (
    DedupSection,
    OutputSection,
    RunSection,
    Section,
    SeedsSection,
    SessionSection,
)

__all__ = [
    "EMBEDDED_NAME",
    "JUDGE_ROLE",
    "LANGUAGE_SCRIPTS",
    "DedupSection",
    "FilterName",
    "FiltersSection",
    "JudgeName",
    "JudgeSection",
    "ModelSection",
    "OpenAIModel",
    "OutputSection",
    "Pipeline",
    "PipelineConfig",
    "RoleSection",
    "RolesSection",
    "RunSection",
    "SafetySection",
    "SamplerSection",
    "ScriptedModel",
    "Section",
    "SeedsSection",
    "SessionSection",
    "VllmModel",
    "canonical_json",
    "load_pipeline",
]
