"""Stage 2, roleplay: a protocol and personas in; dialogues played turn by turn between the
counselor and client roles (with intake forms and hidden session plans where asked) out."""

from healme_synth.roleplay.intake import expand_intakes
from healme_synth.roleplay.planning import plan_sessions
from healme_synth.roleplay.protocols import Protocol, available_protocols, load_protocol
from healme_synth.roleplay.turn_requests import prompt_context, request
from healme_synth.roleplay.turns import aconverse, converse

__all__ = [
    "Protocol",
    "aconverse",
    "available_protocols",
    "converse",
    "expand_intakes",
    "load_protocol",
    "plan_sessions",
    "prompt_context",
    "request",
]
