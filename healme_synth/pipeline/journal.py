"""A per-turn journal of a run, so a killed run (even `kill -9`) resumes where it stopped.

The run directory holds `run.json` (what the run is: config and its SHA-256, the sampled
personas' SHA-256), written before anything else, and `journal/chunk-NNNNN.jsonl`, one
append-only file per chunk of `run.batch_size` dialogues. Each line is one event:

- `{"event": "message", "seconds", "id", "turn", "role", "seed", "end_marker_at", "message"}`:
  a generated utterance as stored (`message` is the Message: content, finish_reason, tokens).
- `{"event": "stage", "stage", "seconds", "tokens", "dialogues"}`: every dialogue of the chunk,
  whole (Dialogue.model_dump), at the end of a stage (`intake`, `plan`, `converse` with the
  filters, `uptake`, `judge`, and `done` once the chunk is finished and de-duplicated).
  `tokens` is what the chunk's calls besides the turns cost so far (the turns' tokens are on the
  messages), so a resumed run counts every call once.

Snapshots are generic (whatever fields a Dialogue has), so a stage that sets new fields needs no
change here. `seconds` is the run's time so far, across resumed sessions. Lines are written in
batches (a turn's messages, a stage), each flushed and fsync'ed; a line a kill cut short has no
newline and is ignored on read and cut off before the file is appended to again.

To resume a chunk, its last stage snapshot is loaded and the messages recorded after it are
replayed; the turn loop then goes on from each dialogue's next turn, with the same per-turn
seeds, so the continuation is the one an uninterrupted run would have generated. A turn that
stored no message (an end marker alone, a full context, a failed request) is not journaled: a
resumed run asks it again, with the same seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from healme_synth.backends import turn_seed
from healme_synth.config import canonical_json
from healme_synth.errors import ConfigError
from healme_synth.records import Dialogue, Message, Persona, Tokens

STAGES: tuple[str, ...] = ("intake", "plan", "converse", "uptake", "judge", "done")
"""The stages of a chunk in order; `done`: finished, de-duplicated and handed to the shards."""

START = "run.json"
FLUSH_SECONDS = 0.2
"""Recorded turns are written at the end of a batch of turns at most this often (and always
at a stage's end): each write is fsync'ed, so this bounds fsyncs without losing much on a kill."""
FLUSH_LINES = 4096


class RunStart(BaseModel):
    """run.json: written when a run starts, read when `run` finds the directory again."""

    model_config = ConfigDict(extra="forbid")
    name: str
    config_sha256: str
    sample_sha256: str
    """SHA-256 of the sampled personas: the seed files may change under an unchanged config."""
    dialogues: int
    batch_size: int
    config: dict[str, Any]
    command: Literal["run", "filter", "judge", "screen"] = "run"
    """What wrote the directory: only a `run` is resumed; filter/judge/screen output is replaced."""
    files: dict[str, str] | None = None
    """SHA-256 of every input file read (templates, protocols, rubrics, probes, questionnaire
    tables, seeds), added to as the run first reads one; None: written before files were
    recorded, so a resume cannot check them."""


def sample_sha256(sample: Sequence[Persona]) -> str:
    return hashlib.sha256(canonical_json([p.model_dump(mode="json") for p in sample])).hexdigest()


def read_start(run_dir: Path) -> RunStart | None:
    path = run_dir / START
    if not path.is_file():
        return None
    try:
        return RunStart.model_validate_json(path.read_bytes())
    except ValidationError as e:
        raise ConfigError(
            f"{path}: not a run-start file this version can read ({e.error_count()} problems); "
            "pass --overwrite to start the run afresh."
        ) from None


class _Stage(BaseModel):
    event: Literal["stage"]
    stage: str
    seconds: float
    tokens: Tokens
    dialogues: list[Dialogue]


@dataclass
class ChunkState:
    """What the journal holds of one chunk: its last stage snapshot and the turns after it."""

    stage: str | None = None
    """The last completed stage; None: none yet (fresh dialogues)."""
    dialogues: list[Dialogue] = field(default_factory=list)
    tokens: Tokens = field(default_factory=Tokens)
    seconds: float = 0.0
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.stage == STAGES[-1]


def _lines(path: Path) -> tuple[list[bytes], int]:
    """The complete lines of a journal file and the byte length they take (a torn tail, cut
    by a kill in the middle of a write, is left out)."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    return data[:end].splitlines(), end


def read_chunk(path: Path) -> ChunkState:
    """Read backwards to the last complete stage line; only it and later messages are parsed."""
    state = ChunkState()
    if not path.is_file():
        return state
    lines, _ = _lines(path)
    messages: list[dict[str, Any]] = []
    for n in range(len(lines) - 1, -1, -1):
        line = lines[n]
        if line.startswith(b'{"event":"message"'):
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                raise _corrupt(path, n) from None
            messages.append(event)
            state.seconds = max(state.seconds, float(event["seconds"]))
            continue
        try:
            stage = _Stage.model_validate_json(line)
        except ValidationError:
            raise _corrupt(path, n) from None
        state.stage, state.dialogues, state.tokens = stage.stage, stage.dialogues, stage.tokens
        state.seconds = max(state.seconds, stage.seconds)
        break
    state.messages = messages[::-1]
    return state


_HEAD = re.compile(rb'^\{"event":"(\w+)"(?:,"stage":"(\w+)")?,"seconds":([0-9.eE+-]+)')


def peek(path: Path) -> tuple[bool, float]:
    """Whether a chunk is done, and the run's seconds at its last event, from the head of its
    last line alone (no snapshot is parsed)."""
    if not path.is_file():
        return False, 0.0
    lines, _ = _lines(path)
    match = _HEAD.match(lines[-1]) if lines else None
    if match is None:
        return False, 0.0
    return match[2] == STAGES[-1].encode(), float(match[3])


def _corrupt(path: Path, n: int) -> ConfigError:
    return ConfigError(
        f"{path} line {n + 1} is not a journal event this version can read; pass --overwrite "
        "to start the run afresh."
    )


def restore(chunk: list[Dialogue], state: ChunkState) -> list[Dialogue]:
    """The chunk's dialogues as the journal left them: the last stage's snapshots, then the
    messages recorded after it, each dialogue's in turn order."""
    if state.stage is not None:
        if [d.id for d in state.dialogues] != [d.id for d in chunk]:
            raise ConfigError(
                "the journal's dialogues are not this run's (ids differ); pass --overwrite to "
                "start the run afresh."
            )
        chunk = list(state.dialogues)
    by_id = {d.id: d for d in chunk}
    for e in state.messages:
        d = by_id.get(e["id"])
        if d is None or e["turn"] != len(d.messages):
            continue  # not a next turn of this dialogue: the turn loop generates it again
        d.messages.append(Message.model_validate(e["message"]))
        d.end_marker_at = e["end_marker_at"]
    return chunk


class ChunkLog:
    """One chunk's journal, open for appending: what `pipeline.process` records into. Without
    a path it records nothing and every stage is to do (render, tests)."""

    def __init__(
        self,
        path: Path | None = None,
        state: ChunkState | None = None,
        clock: Callable[[], float] = lambda: 0.0,
        on_message: Callable[[Message], None] | None = None,
    ) -> None:
        self.path = path
        self.state = state or ChunkState()
        self.clock = clock
        self.on_message = on_message
        self._buffer: list[str] = []
        self._flushed = clock()
        self._file: BinaryIO | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            created = not path.exists()
            if not created:
                _, end = _lines(path)
                os.truncate(path, end)  # cut a torn last line before appending after it
            self._file = open(path, "ab")  # noqa: SIM115 (closed in close())
            if created:
                _fsync_dir(path.parent)

    def todo(self, stage: str) -> bool:
        """Whether a stage still has to run (the journal holds no later snapshot)."""
        if self.state.stage is None:
            return True
        return STAGES.index(stage) > STAGES.index(self.state.stage)

    def tokens(self) -> Tokens:
        """What the stages already journaled cost, to count on from."""
        return self.state.tokens.model_copy()

    def record(self, d: Dialogue, m: Message) -> None:
        """A stored utterance (roleplay's `record` hook); written with its batch."""
        if self.on_message is not None:
            self.on_message(m)
        if self._file is None:
            return
        turn = len(d.messages) - 1
        event = {
            "event": "message",
            "seconds": round(self.clock(), 3),
            "id": d.id,
            "turn": turn,
            "role": m.role,
            "seed": turn_seed(d.run_seed, d.id, turn, m.role),
            "end_marker_at": d.end_marker_at,
            "message": m.model_dump(mode="json"),
        }
        self._buffer.append(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
        if len(self._buffer) >= FLUSH_LINES:
            self.flush()

    def on_turn(self, then: Callable[[int, int], None] | None) -> Callable[[int, int], None]:
        """roleplay's `on_turn` hook: a batch of turns ended; write it (at most every
        FLUSH_SECONDS), then call `then` (the progress bar)."""

        def on_turn(requests: int, tokens: int) -> None:
            if self._buffer and self.clock() - self._flushed >= FLUSH_SECONDS:
                self.flush()
            if then is not None:
                then(requests, tokens)

        return on_turn

    def done(self, stage: str, dialogues: Sequence[Dialogue], tokens: Tokens) -> None:
        """A stage ended: snapshot every dialogue of the chunk, with the tokens spent so far."""
        if self._file is None:
            return
        head = json.dumps(
            {
                "event": "stage",
                "stage": stage,
                "seconds": round(self.clock(), 3),
                "tokens": tokens.model_dump(),
            },
            separators=(",", ":"),
        )
        body = ",".join(d.model_dump_json() for d in dialogues)
        self._buffer.append(f'{head[:-1]},"dialogues":[{body}]}}')
        self.flush()
        self.state = ChunkState(stage=stage, tokens=tokens.model_copy())

    def flush(self) -> None:
        if self._file is None or not self._buffer:
            return
        self._file.write(("\n".join(self._buffer) + "\n").encode())
        self._file.flush()
        os.fsync(self._file.fileno())
        self._buffer = []
        self._flushed = self.clock()

    def close(self) -> None:
        self.flush()
        if self._file is not None:
            self._file.close()
            self._file = None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The journal folder of a run directory."""

    def __init__(self, run_dir: Path) -> None:
        self.folder = run_dir / "journal"

    def path(self, chunk: int) -> Path:
        return self.folder / f"chunk-{chunk:05d}.jsonl"

    def read(self, chunk: int) -> ChunkState:
        return read_chunk(self.path(chunk))

    def peek(self, chunk: int) -> tuple[bool, float]:
        return peek(self.path(chunk))

    def open(
        self,
        chunk: int,
        state: ChunkState,
        clock: Callable[[], float],
        on_message: Callable[[Message], None] | None = None,
    ) -> ChunkLog:
        return ChunkLog(self.path(chunk), state, clock, on_message)
