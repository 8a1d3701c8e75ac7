"""LLM judges: rubrics as data, seeded structured-output requests, verdicts pooled over roles
and samples (a reply that does not parse is missing, never 0), score gates and run summaries."""
