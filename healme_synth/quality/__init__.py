"""Stage 3, quality: played dialogues in; each one's filter reasons, judge verdicts, gates,
near-duplicate marks and reframe uptake out (a reason or None per check, nothing dropped)."""
