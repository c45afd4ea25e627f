"""The kernel's levers: each way of raising its success rate, switchable on its own so
``bench kernel --eval --ablation`` can measure what each one is worth.

The image setting ``kernel_levers`` names the levers that are on (``Config.kernel_levers =
"constrained,analogy"`` in the shell; ``python3 master_forge.py config kernel_levers``);
``Kernel(image, levers=Levers(...))`` or ``image.kernel.levers = Levers.off()`` (the kernel
before these levers) override it for one kernel. ``Levers()`` is every lever on; the kernel's default is :data:`DEFAULT`,
every lever but ``candidates``: measured on both evaluation sets with the embedded SmolLM2-135M
(README, "The levers"), three sampled candidates on top of ``rerank`` gained nothing on the dev
set (38 of 53 either way) and one held-out request (11 vs 10 of 26) at twice the time per
request (median 8.5 s vs 4.5 s) — switch it on for a model whose samples err less.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

NAMES = ("constrained", "receiver_prompt", "analogy", "candidates", "rerank", "examples")


@dataclass(frozen=True)
class Levers:
    #: the reply is prefilled with ```python + the signature, generation stops at the end of
    #: that one def (stop strings; the embedded model's ``stop_after_def``), body re-indented
    constrained: bool = True
    #: the prompt names the receiver's own and inherited slots with values and types, its
    #: methods' signatures and docstrings, the arguments' types, "return, don't change"
    receiver_prompt: bool = True
    #: worked examples chosen by similarity from the image's methods and the pattern book
    #: (:mod:`telos.kernel.analogy`); a fitting method of another prototype is reused outright
    analogy: bool = True
    #: several candidates (the first greedy, the others sampled), a vote over the values of
    #: those that ran cleanly, and a repair round fed with the trial's error
    candidates: bool = True
    #: the analogies' methods mapped onto the receiver (:mod:`telos.kernel.transfer`) join the
    #: model's candidate; those that run cleanly are scored by the model as coder and as
    #: reviewer (:mod:`telos.kernel.rerank`) and the best is installed; a best one of a kind
    #: the selector rules out (a list for ``is_...``) is first sent back for another round
    rerank: bool = True
    #: the triggering call is stored with the method; a regeneration or edit must pass it
    examples: bool = True
    #: how many candidates a round draws when ``candidates`` is on
    n_candidates: int = 3
    temperature: float = 0.5

    @classmethod
    def off(cls) -> "Levers":
        return cls(**{name: False for name in NAMES})

    def without(self, name: str) -> "Levers":
        if name not in NAMES:
            raise ValueError(f"no lever {name!r} (levers: {', '.join(NAMES)})")
        return replace(self, **{name: False})

    @classmethod
    def named(cls, names: str) -> "Levers":
        """Levers with exactly the comma-separated ``names`` on (the ``kernel_levers`` setting)."""
        on = {n.strip() for n in names.split(",") if n.strip()}
        unknown = on - set(NAMES)
        if unknown:
            raise ValueError(f"no lever {', '.join(sorted(unknown))} (levers: {', '.join(NAMES)})")
        return cls(**{name: name in on for name in NAMES})

    def label(self) -> str:
        on = [f.name for f in fields(self) if f.name in NAMES and getattr(self, f.name)]
        return ", ".join(on) if on else "none"


#: the default of the image setting ``kernel_levers`` (see the module docstring); an image's
#: kernel reads that setting unless given levers (``Kernel(image, levers=...)``)
DEFAULT = Levers(candidates=False)
