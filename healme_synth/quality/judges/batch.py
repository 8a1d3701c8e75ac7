"""The batched judging call: one backend call per judge role carrying every dialogue, sample
and PANAS moment, folded back into one Verdict per judge and dialogue.

Batch-first so an engine sees all of a role's requests at once; seeds come from
requests.sample_seed, so how dialogues are batched never changes a verdict. GenParams are built with
healme_synth.backends.requests.gen_params, the one place sampling settings are resolved.
"""

from __future__ import annotations

from healme_synth.backends import Backend, Completion, failure, gen_params, usage
from healme_synth.config import RoleSection
from healme_synth.prompts import Prompts
from healme_synth.quality.judges.panel import Judge
from healme_synth.quality.judges.requests import judge_request, sample_seed
from healme_synth.quality.judges.rubric import verdict_schema
from healme_synth.quality.judges.verdicts import combine, make_sample
from healme_synth.records import Dialogue, Reason, Sample, Tokens


def judge(
    dialogues: list[Dialogue],
    judges: list[Judge],
    backends: dict[str, Backend],
    roles: dict[str, RoleSection],
    prompts: Prompts,
) -> Tokens:
    """Give every dialogue one verdict per judge (replacing an older one of the same judge):
    one backend call per judge role with every dialogue, sample and moment; returns tokens.
    A verdict missing because its requests failed (after retries) also rejects the dialogue
    as `generation_failed`, so a judge server that is down is counted as failures."""
    if not dialogues:
        return Tokens()
    spent: list[Completion] = []
    for j in judges:
        requests = [[judge_request(d, j, prompts, m) for m in j.moments] for d in dialogues]
        schema = verdict_schema(j.rubric, j.items)
        pooled: list[list[Sample]] = [[] for _ in dialogues]
        errors: list[list[str]] = [[] for _ in dialogues]
        for role in j.spec.roles:
            section, backend = roles[role], backends[role]
            # Moments innermost: a sample's replies (PANAS before, after) sit next to each other.
            asks = [
                (i, n, m)
                for i in range(len(dialogues))
                for n in range(j.spec.samples)
                for m in range(len(j.moments))
            ]
            params = [
                gen_params(
                    section,
                    seed=sample_seed(dialogues[i], j, role, n, j.moments[m]),
                    role=role,
                    json_schema=schema,
                )
                for i, n, m in asks
            ]
            completions = backend.generate([requests[i][m] for i, _, m in asks], params)
            spent += completions
            per = len(j.moments)
            for k in range(0, len(asks), per):
                i, n, _ = asks[k]
                replies = completions[k : k + per]
                raws = [c.text for c in replies]  # a failed request is a missing sample
                errors[i] += [f.detail for c in replies if (f := failure(c, j.where))]
                pooled[i].append(make_sample(j, role, backend.label, n, raws))
        for d, samples, failed in zip(dialogues, pooled, errors, strict=True):
            verdict = combine(j, samples)
            d.verdicts = [v for v in d.verdicts if v.judge != j.name] + [verdict]
            if failed and not verdict.parsed:  # missing because the requests failed, not the model
                d.reasons.append(Reason(name="generation_failed", detail=failed[0]))
    return usage(spent)
