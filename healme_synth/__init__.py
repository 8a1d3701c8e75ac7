"""healme-synth: synthetic CBT / cognitive-reframing counseling dialogues at scale."""

__version__ = "0.1.0"
