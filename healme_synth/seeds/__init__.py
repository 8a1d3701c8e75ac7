"""Stage 1, seeds: persona banks, questionnaire answers and imported datasets in; the run's
validated personas (drawn, or sampled to declared shares) out."""

from healme_synth.seeds.bank import load_personas, sample_personas

__all__ = ["load_personas", "sample_personas"]
