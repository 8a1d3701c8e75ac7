"""Stage 4, output: records in; atomic Parquet shards, manifest, dataset card, exports in the
peers' formats and transcripts read back out; run folders read back to compare (stats, plots),
report and view (those modules load polars and matplotlib, so import them by name).
Imports records and config, never a stage."""

from healme_synth.output.card import write_card
from healme_synth.output.files import atomic_write, write_personas
from healme_synth.output.folder import SWEEP_FILE, VARIANTS, Config, configs, variant_dir
from healme_synth.output.manifest import write_manifest
from healme_synth.output.metrics_text import metric_rows
from healme_synth.output.rows import from_row, read_dialogues, to_row
from healme_synth.output.safety_text import card_section, summary_line, type_rows
from healme_synth.output.schema import SCHEMA
from healme_synth.output.shards import ShardWriter

__all__ = [
    "SCHEMA",
    "SWEEP_FILE",
    "VARIANTS",
    "Config",
    "ShardWriter",
    "atomic_write",
    "card_section",
    "configs",
    "from_row",
    "metric_rows",
    "read_dialogues",
    "summary_line",
    "to_row",
    "type_rows",
    "variant_dir",
    "write_card",
    "write_manifest",
    "write_personas",
]
