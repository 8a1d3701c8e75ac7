"""Stage 4, output: records in; atomic Parquet shards, manifest, dataset card, exports in the
peers' formats and transcripts read back out. Imports records and config, never a stage."""

from healme_synth.output.card import write_card
from healme_synth.output.files import atomic_write, write_personas
from healme_synth.output.manifest import write_manifest
from healme_synth.output.rows import from_row, read_dialogues, to_row
from healme_synth.output.safety_text import card_section, summary_line, type_rows
from healme_synth.output.schema import SCHEMA
from healme_synth.output.shards import ShardWriter

__all__ = [
    "SCHEMA",
    "ShardWriter",
    "atomic_write",
    "card_section",
    "from_row",
    "read_dialogues",
    "summary_line",
    "to_row",
    "type_rows",
    "write_card",
    "write_manifest",
    "write_personas",
]
