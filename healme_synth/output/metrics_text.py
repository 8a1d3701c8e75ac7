"""The dialogue metrics as (label, value) rows: the `metrics` command's table and the card's
"Diversity and realism" section say the same thing in the same words."""

from __future__ import annotations

from healme_synth.records.metrics import Metrics, Spread


def _num(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _spread(s: Spread) -> str:
    if s.median is None:
        return "-"
    return (
        f"{_num(s.min, 1)}-{_num(s.max, 1)}, median {_num(s.median, 1)}, mean {_num(s.mean, 2)}; "
        f"{_pct(s.mode_share)} at {_num(s.mode, 1)}"
    )


def metric_rows(m: Metrics) -> list[tuple[str, str]]:
    """The table's rows for one corpus: (metric, value)."""
    top = m.counselor_openers[0] if m.counselor_openers else None
    tech = m.techniques[0] if m.techniques else None
    return [
        ("dialogues", str(m.dialogues)),
        ("sessions pooled (distinct-n, EAD)", f"{m.sessions} (seed {m.seed})"),
        ("distinct-1", _num(m.distinct_1)),
        ("distinct-2", _num(m.distinct_2)),
        ("distinct-3", _num(m.distinct_3)),
        ("EAD", _num(m.ead)),
        ("utterances repeating an earlier one", _pct(m.repeated_utterances)),
        ("top counselor opener", "-" if top is None else f"{top.value!r} {_pct(top.share)}"),
        (
            "top 5 counselor openers",
            "-" if not m.counselor_openers else _pct(sum(o.share for o in m.counselor_openers)),
        ),
        ("technique entropy (bits)", _num(m.technique_entropy, 3)),
        (
            "top technique",
            "-" if tech is None else f"{tech.value} {_pct(tech.share)}",
        ),
        ("attitude entropy (bits)", _num(m.attitude_entropy, 3)),
        ("turns per session", _spread(m.turns)),
        *(
            (f"words per {role} utterance", _num(m.words_per_utterance.get(role), 1))
            for role in ("counselor", "client")
        ),
        (
            "end marker",
            f"{m.end_marker_sessions} sessions, mean position {_num(m.end_marker_position, 2)}, "
            f"{m.end_marker_early} before the last utterance",
        ),
        (
            "uptake turn (client utterance)",
            f"{m.uptake_measured} measured; {_spread(m.uptake_turn)}",
        ),
    ]
