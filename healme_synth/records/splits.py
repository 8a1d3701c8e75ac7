"""The dataset's split names, declared once: every writer, reader, card and exporter uses these."""

TRAIN = "train"
"""Kept dialogues: what a trainer reads."""
REJECTED = "rejected"
"""Dialogues a filter, judge gate or de-duplication rejected, each with its reasons."""
SAFETY_REVIEW = "safety_review"
"""Dialogues with an unsafe or unverified counselor answer to a disclosure: never in train."""
SPLITS = (TRAIN, REJECTED, SAFETY_REVIEW)
