"""The levers' pieces without a model: constrained output (re-indent, assemble, where a def
ends), the vote over candidates, the analogy index, the prompt built from the receiver."""

from __future__ import annotations

import ast

import pytest

from telos.kernel import analogy, candidates, lexicon, receiver_prompt
from telos.kernel.candidates import Candidate
from telos.kernel.levers import NAMES, Levers
from telos.llm.decoding import def_end
from telos.uvm import MethodDef, UvmObject


def test_levers_switch_one_at_a_time():
    assert Levers().label() == ", ".join(NAMES)
    assert Levers.off().label() == "none"
    assert not Levers().without("analogy").analogy and Levers().without("analogy").constrained
    with pytest.raises(ValueError, match="no lever 'magic'"):
        Levers().without("magic")


def test_the_kernel_default_is_every_lever_but_candidates(image):
    from telos.kernel.cycle import Kernel
    from telos.kernel.levers import DEFAULT
    assert Kernel(image=image).levers == DEFAULT == Levers().without("candidates")


def test_the_image_setting_names_the_levers_and_a_kernel_may_override_it(image):
    from telos import config
    from telos.errors import ConfigError
    from telos.kernel.cycle import Kernel
    with image.thought("levers"):
        image.config.kernel_levers = config.check_image_slot("kernel_levers", "analogy, Constrained")
    assert image.config.kernel_levers == "constrained,analogy"
    k = Kernel(image=image)
    assert k.levers == Levers.named("constrained,analogy")
    assert k.levers.label() == "constrained, analogy" and not k.levers.examples
    k.levers = Levers.off()                       # one kernel's own choice (bench, tests)
    assert k.levers == Levers.off() and Kernel(image=image).levers.analogy
    with pytest.raises(ConfigError, match="unknown magic"):
        config.check_image_slot("kernel_levers", "analogy,magic")
    assert config.check_image_slot("kernel_levers", "none") == ""
    assert Levers.named("") == Levers.off()


@pytest.mark.parametrize("text,end", [
    ("```python\ndef f(self):\n    return 1\n```\nMore prose", "```python\ndef f(self):\n    return 1\n"),
    ("def f(self):\n    x = 1\n\n    return x\nprint(f())", "def f(self):\n    x = 1\n\n    return x\n"),
    ("def f(self):\n    return 1\n\nThis method returns one.", "def f(self):\n    return 1\n\n"),
])
def test_generation_stops_at_the_end_of_the_def(text, end):
    assert text[:def_end(text)].rstrip("\n") == end.rstrip("\n")


def test_a_def_still_being_written_does_not_stop():
    assert def_end("def f(self):\n    return sel") is None
    assert def_end("Sure! Here it is") is None


def test_reindent_numbers_the_levels_from_four():
    body = "     if self.x:\n       return 1\n   return 2"
    assert candidates.reindent(body) == "    if self.x:\n        return 1\n    return 2"
    assert candidates.reindent("\treturn 1") == "    return 1"


def test_assemble_puts_the_signature_back_and_adds_a_forgotten_import_math():
    src = candidates.assemble("def c(self):", " return 2 * math.pi * self.r\n")
    code = src.strip("`").removeprefix("python\n")
    assert code.strip() == "def c(self):\n    import math\n    return 2 * math.pi * self.r"
    ast.parse(code)
    whole = "```python\ndef c(self):\n    return 1\n```"
    assert candidates.assemble("def c(self):", whole) == whole   # a backend that ignored the prefill


def _c(i, value, source="def f(self):\n    return self.x", error=None):
    return Candidate(i, source=source, value=value, error=error)


def test_vote_takes_the_majority_value_and_the_earliest_of_it():
    cands = [_c(0, 3), _c(1, 4), _c(2, 4, source="def f(self):\n    return self.y")]
    assert candidates.vote(cands) is cands[1]
    assert candidates.settled(cands[1:], 3) and not candidates.settled(cands[:2], 3)


def test_vote_prefers_values_over_none_and_constants_over_nothing():
    none = _c(0, None)
    constant = _c(1, 120, source="def f(self):\n    return 120")
    real = _c(2, 130)
    assert candidates.vote([none, constant, real]) is real
    assert candidates.vote([none, constant]) is constant
    assert candidates.vote([none]) is none
    assert candidates.vote([_c(0, 1, error="trial: boom")]) is None


def test_a_method_that_writes_the_receivers_values_in_is_told_apart_from_a_constant():
    assert candidates.copies_inputs("def a(self):\n    w = 3\n    h = 4\n    return w * h",
                                    [3, 4])
    assert candidates.copies_inputs("def t(self):\n    return 120", [120, 10])
    assert not candidates.copies_inputs("def k(self):\n    return 'shape'", [3, "x"])
    assert not candidates.copies_inputs("def a(self):\n    return self.w * 3", [3])
    # a list slot's value written out (``return [3, -1, 4, -2]`` for positive_values)
    assert candidates.copies_inputs("def p(self):\n    return [3, -1, 4]", [[3, -1, 4]])
    assert not candidates.copies_inputs("def p(self):\n    return [1, 2]", [[3, -1, 4]])


def test_candidate_options_first_greedy_then_sampled():
    g, s = candidates.options(True, 0, 0.5, more=True), candidates.options(True, 2, 0.5)
    assert g["temperature"] == 0 and g["stop_after_def"] and "\n```" in g["stop"]
    assert s["temperature"] == 0.5 and s["seed"] == 2
    assert g["reuse_prompt"] is True and "reuse_prompt" not in s   # the last one keeps nothing
    assert "stop" not in candidates.options(False, 0, 0.5)


class _Image:
    def __init__(self, protos):
        self.prototypes = protos


def test_analogy_offers_the_nearest_examples_and_the_image_methods():
    shelf = UvmObject(books=["a", "b"])
    shelf._name = "Shelf"
    shelf._methods["book_total"] = MethodDef("book_total",
                                             "def book_total(self):\n    return len(self.books)")
    cart = UvmObject(prices=[1, 2])
    ex = analogy.examples(_Image({"Shelf": shelf}), cart, "total_price", (), {},
                          {"prices": [1, 2]}, {})
    assert len(ex) == 2 and all(e.selector != "total_price" for e in ex)
    assert {"total_seconds", "jar_total", "book_total"} & {e.selector for e in ex}
    # most similar last, nearest the question
    assert ex[-1].selector in ("total_seconds", "jar_total", "book_total")


def test_an_inflected_selector_finds_the_example_tagged_with_its_stem():
    """``discounted`` is not ``discount``, but both stem to one word: the idiom tagged
    "discount" (the pattern book's Coat.sale_cost) is among the six nearest."""
    slots = {"price": 20, "discount_percent": 15}
    six = analogy.examples(_Image({}), UvmObject(**slots), "discounted_price", (), {}, slots,
                           {}, k=6)
    assert "sale_cost" in {e.selector for e in six}
    terms = analogy.request_terms("discounted_price", slots, (), {}, {})
    assert terms["sel:discounted"] == 2 and terms["stem:" + lexicon.stem("discount")] == 1


@pytest.mark.parametrize("selector,slots,args", [
    ("total_price", {"prices": [1, 2]}, ()), ("area", {"width": 3, "height": 4}, ()),
    ("full_name", {"first": "a", "last": "b"}, ()), ("scaled", {"w": 2}, (3,))])
def test_the_nearest_two_of_six_are_the_nearest_two(selector, slots, args):
    """The cycle asks once for six analogies (the transfers) and shows the last two as the
    prompt's worked examples: they must be what asking for two gives."""
    me = UvmObject(**slots)
    six = analogy.examples(_Image({}), me, selector, args, {}, slots, {}, k=6)
    assert len(six) == 6 and six[-2:] == analogy.examples(_Image({}), me, selector, args, {},
                                                           slots, {}, k=2)


def test_reusable_lists_the_same_selector_on_other_prototypes_siblings_first():
    base = UvmObject()
    sib = base.derive(w=1)
    other = UvmObject(w=2)
    for o in (sib, other):
        o._methods["area"] = MethodDef("area", "def area(self):\n    return self.w")
    me = base.derive(w=3)
    found = analogy.reusable(_Image({"Other": other, "Sib": sib}), me, "area")
    assert [name for name, _ in found] == ["Sib", "Other"]


def test_the_receiver_prompt_names_own_and_inherited_slots_types_methods_and_arguments():
    emp = UvmObject(hourly_rate=20)
    emp._name = "Employee"
    emp._methods["weekly_pay"] = MethodDef(
        "weekly_pay", "def weekly_pay(self):\n    return self.hourly_rate * self.hours")
    mgr = emp.derive(hours=40)
    mgr._name = "Manager"
    p = receiver_prompt.build(mgr, "pay_with", (2.5,), {"bonus": 10}, examples=[
        analogy.from_pattern(receiver_prompt_example())])
    q = next(m["content"] for m in reversed(p.messages) if m["role"] == "user")
    assert "hours = 40 (int)" in q and "hourly_rate = 20 (int, from Employee)" in q
    assert "weekly_pay(self) returns self.hourly_rate * self.hours" in q
    assert "Write manager.pay_with(2.5, bonus=10) — return the value" in q
    assert "Parameters: number = 2.5 (float), bonus = 10 (int)." in q
    assert p.signature == "def pay_with(self, number, bonus):"
    assert p.messages[-1] == {"role": "assistant",
                              "content": "```python\ndef pay_with(self, number, bonus):\n    "}
    assert p.messages[1]["content"].startswith("Object Kettle.")


def receiver_prompt_example():
    from telos.kernel.patterns import PATTERNS
    return PATTERNS[0]
