"""Stage 4, output: records in; atomic Parquet shards, manifest, dataset card, exports in the
peers' formats and transcripts read back out. Imports records and config, never a stage."""

from healme_synth.output.shards import (
    SCHEMA,
    ShardWriter,
    atomic_write,
    from_row,
    read_dialogues,
    to_row,
    write_card,
    write_manifest,
)

__all__ = [
    "SCHEMA",
    "ShardWriter",
    "atomic_write",
    "from_row",
    "read_dialogues",
    "to_row",
    "write_card",
    "write_manifest",
]
