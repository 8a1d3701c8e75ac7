"""The data that flows through the pipeline (Persona, Message, Dialogue, Verdict, Manifest),
and nothing else: these records *are* the dataset schema. Imports no other package module."""

from healme_synth.records.base import Record
from healme_synth.records.dialogue import (
    Dialogue,
    Message,
    Probe,
    Reason,
    Role,
    SafetyCheck,
    Sample,
    Tokens,
    Verdict,
)
from healme_synth.records.manifest import (
    AffectSummary,
    Counts,
    ItemSummary,
    JudgeReport,
    JudgeSummary,
    Manifest,
    SafetyReport,
    SafetyTypeSummary,
)
from healme_synth.records.persona import (
    CBT_TECHNIQUES,
    HEALME_TRAP_LABELS,
    Attitude,
    CounselingReport,
    Emotion,
    Persona,
    Questionnaire,
    ThinkingTrap,
)
from healme_synth.records.splits import REJECTED, SAFETY_REVIEW, SPLITS, TRAIN

__all__ = [
    "CBT_TECHNIQUES",
    "HEALME_TRAP_LABELS",
    "REJECTED",
    "SAFETY_REVIEW",
    "SPLITS",
    "TRAIN",
    "AffectSummary",
    "Attitude",
    "CounselingReport",
    "Counts",
    "Dialogue",
    "Emotion",
    "ItemSummary",
    "JudgeReport",
    "JudgeSummary",
    "Manifest",
    "Message",
    "Persona",
    "Probe",
    "Questionnaire",
    "Reason",
    "Record",
    "Role",
    "SafetyCheck",
    "SafetyReport",
    "SafetyTypeSummary",
    "Sample",
    "ThinkingTrap",
    "Tokens",
    "Verdict",
]
