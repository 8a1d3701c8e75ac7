"""Stage 4, output: records in; atomic Parquet shards, manifest, dataset card, exports in the
peers' formats and transcripts read back out. Imports records and config, never a stage."""
