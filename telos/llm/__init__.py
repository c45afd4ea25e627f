"""Language-model backends (Ollama, embedded SmolLM2), personas and the orchestrator (issue 4)."""

from telos.llm.orchestrator import Orchestrator, Turn
from telos.llm.personas import PERSONA_TABLE, PersonaSpec
from telos.llm.protocol import LLMBackend, complete
from telos.llm.select import backend_for, choose_backend, status

__all__ = ["LLMBackend", "Orchestrator", "PERSONA_TABLE", "PersonaSpec", "Turn", "backend_for",
           "choose_backend", "complete", "status"]
