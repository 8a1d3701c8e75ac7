"""Stage 4's shard writer: rows in, Parquet shards of the explicit schema out.

Shards are written as hidden parts while the run goes on and get their final `-of-N` names only
when the run closes, so a reader never mistakes a run in progress for a finished one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from healme_synth.errors import ConfigError
from healme_synth.output.schema import SCHEMA


class ShardWriter:
    """Rows in, shards of at most rows_per_shard out; final names only at close().

    Resume-safe: parts a killed run finished (hidden parts, or shards already renamed by a close
    that was cut short) are picked up and counted, and as many rows as they hold are skipped when
    the run adds its rows again in the same order, so a written part is never rewritten. A part
    still being written when the run was killed is only a `.tmp` file: it is removed and its
    rows are written again.
    """

    def __init__(self, folder: Path, split: str, rows_per_shard: int) -> None:
        self.folder, self.split, self.rows_per_shard = folder, split, rows_per_shard
        self.rows: list[dict[str, Any]] = []
        folder.mkdir(parents=True, exist_ok=True)
        self.parts: list[Path] = self._finished()
        # Rows already in finished parts: the next `skip` rows added are those, in order.
        self.skip = sum(pq.read_metadata(p).num_rows for p in self.parts)
        self.count = 0

    def _finished(self) -> list[Path]:
        """Parts left by an earlier session of the same run, in order."""
        split = re.escape(self.split)
        hidden = re.compile(rf"\.{split}-(\d{{5}})\.part\.parquet")
        final = re.compile(rf"{split}-(\d{{5}})-of-\d{{5}}\.parquet")
        found: dict[int, Path] = {}
        for path in self.folder.iterdir():
            if path.name.startswith(f".{self.split}-") and path.name.endswith(".tmp"):
                path.unlink()  # a part the kill caught half-written
                continue
            match = hidden.fullmatch(path.name) or final.fullmatch(path.name)
            if match is not None:
                found[int(match[1])] = path
        if sorted(found) != list(range(len(found))):
            raise ConfigError(
                f"{self.folder}: the {self.split} parts {sorted(found)} have gaps; pass "
                "--overwrite to start the run afresh."
            )
        return [found[i] for i in range(len(found))]

    def add(self, row: dict[str, Any]) -> None:
        self.count += 1
        if self.skip:
            self.skip -= 1  # already in a finished part
            return
        self.rows.append(row)
        if len(self.rows) >= self.rows_per_shard:
            self._flush()

    def _flush(self) -> None:
        part = self.folder / f".{self.split}-{len(self.parts):05d}.part.parquet"
        tmp = part.with_name(part.name + ".tmp")
        with pq.ParquetWriter(tmp, SCHEMA) as writer:
            writer.write_table(pa.Table.from_pylist(self.rows, schema=SCHEMA))
        fd = os.open(tmp, os.O_RDONLY)  # on disk before its name says it is whole: a resumed
        try:  # run skips the rows a part holds
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, part)
        self.parts.append(part)
        self.rows = []

    def close(self) -> list[Path]:
        """Flush and give every part its final name. An empty split gets no file at all: the
        card declares only the splits that have shards, and `datasets` refuses a declared split
        without data."""
        if self.skip:
            raise ConfigError(
                f"{self.folder}: the finished {self.split} parts hold {self.skip} rows more than "
                "the run produced (were journal files removed?); pass --overwrite to start the "
                "run afresh."
            )
        if self.rows:
            self._flush()
        n = len(self.parts)
        final = []
        for i, part in enumerate(self.parts):
            path = self.folder / f"{self.split}-{i:05d}-of-{n:05d}.parquet"
            os.replace(part, path)
            final.append(path)
        return final
