"""The rerank lever in the cycle, with a scripted backend that can score: the analogies'
methods mapped onto the receiver join the model's candidate, the best-scored clean one is
installed (its origin in the provenance); a backend that cannot score keeps the model's own."""

from __future__ import annotations

from telos import mirror
from telos.kernel import rerank
from telos.kernel.levers import DEFAULT
from telos.llm.orchestrator import Orchestrator


class Scripted:
    """Answers every generation with ``reply``; scores a continuation by ``prefer`` (0 when it
    holds the preferred text, -50 when not), so the test decides which candidate wins."""
    name, model = "scripted", "scripted"

    def __init__(self, reply: str, prefer: str | None) -> None:
        self.reply, self.prefer = reply, prefer
        self.scored: list[str] = []

    def chat(self, messages, *, model=None, keep_alive=None, options=None):
        yield self.reply

    def loaded(self):
        return []

    def status(self):
        return {"backend": self.name, "model": self.model}

    def score(self, messages, continuations):
        out = []
        for text in continuations:
            whole = messages[-1]["content"] + text
            self.scored.append(whole)
            out.append([0.0 if self.prefer in whole else -50.0, 5])
        return out


class Unscored(Scripted):
    score = None


def _image(image):
    with image.thought("setup"):
        image.config.kernel_enabled = True
        image.config.kernel_max_attempts = 1
        obj = image.prototypes["Object"]
        image.register("Trip", obj.derive(distance_km=150, hours=2.5))
    return image.prototypes["Trip"]


def _kernel(image, backend):
    k = image.kernel                       # the image's own kernel, talking to ``backend``
    k._orchestrator = Orchestrator(backend)
    k.levers = DEFAULT
    return k


def test_a_better_scored_transfer_wins_over_the_models_wrong_method(image):
    trip = _image(image)
    backend = Scripted("return self.distance_km * self.hours", prefer="self.distance_km / self.hours")
    _kernel(image, backend)
    from telos.kernel import events
    seen: list = []
    with events.observing(seen.append):
        assert trip.average_speed() == 60.0
    step = next(e for e in seen if e.step == "rerank")      # the kernel view says which won
    assert step.reason.startswith("chose transfer: ") and "self.distance_km / self.hours" in step.code
    prov = mirror(trip).provenance("average_speed")
    assert prov["origin"].startswith("transfer: ") and prov["candidates"] > 2
    assert "self.distance_km / self.hours" in mirror(trip).methods()["average_speed"].source
    # the coder saw the prompt's question, the reviewer each method with its name hidden
    assert any("def method(self)" in s and s.endswith("average_speed") for s in backend.scored)


def test_the_models_method_stays_when_it_scores_best(image):
    trip = _image(image)
    backend = Scripted("return self.distance_km * self.hours", prefer="distance_km * self.hours")
    _kernel(image, backend)
    assert trip.average_speed() == 375.0
    assert mirror(trip).provenance("average_speed")["origin"] == "model"


def test_without_scoring_no_transfer_is_tried_and_the_models_method_is_installed(image):
    trip = _image(image)
    _kernel(image, Unscored("return self.distance_km * self.hours", prefer=None))
    assert trip.average_speed() == 375.0
    prov = mirror(trip).provenance("average_speed")
    assert prov["origin"] == "model" and prov["candidates"] == 1


def test_a_method_that_ignores_its_parameter_is_ranked_down():
    assert rerank.ignores_a_parameter("def f(self, n):\n    return self.w * self.h")
    assert not rerank.ignores_a_parameter("def f(self, n):\n    return self.w * n")
    assert rerank.hide_name("def area(self):\n    return 1", "area").startswith("def method(self)")


def test_what_the_name_says_counts_against_a_candidate_that_ignores_it():
    names = {"title": set(), "first_name": set(), "age": set(),
             "full_name": {"first_name", "last_name"}}
    src_without = "def full_name_with_title(self):\n    return self.first_name"
    src_with = "def full_name_with_title(self):\n    return self.title + ' ' + self.full_name()"
    assert rerank.unread_named(src_without, "full_name_with_title", names) == 2   # title, full_name
    assert rerank.unread_named(src_with, "full_name_with_title", names) == 0     # first_name: in full_name
    assert rerank.wrong_kind("is_adult", 20) and not rerank.wrong_kind("is_adult", True)
    assert rerank.wrong_kind("age_in_months", False) and not rerank.wrong_kind("age_in_months", 3)


def test_the_kind_the_name_asks_for_counts_against_another_kind():
    assert rerank.wrong_kind("count_vowels_in_name", "Barbara")
    assert not rerank.wrong_kind("count_vowels_in_name", 3)
    assert rerank.wrong_kind("out_of_stock_items", 12)
    assert not rerank.wrong_kind("out_of_stock_items", ["pears"])
    assert rerank.wrong_kind("full_name", True)                # a bool for no question
    assert not rerank.wrong_kind("full_name", "Ada Lovelace")  # the name says no kind


def test_a_transfer_from_an_example_sharing_no_word_with_the_selector_is_charged():
    from telos.kernel.candidates import Candidate
    src = "def is_prime(self):\n    return self.value % 2 == 0"
    near = Candidate(1, source=src, value=False, origin="transfer: Lamp.x",
                     analogy_words=rerank.analogy_words("is_even", "divisible remainder prime"))
    far = Candidate(2, source=src, value=False, origin="transfer: Counter.is_even",
                    analogy_words=rerank.analogy_words("is_even", "divisible remainder"))
    own = Candidate(3, source=src, value=False)
    assert not rerank.far_analogy(near, "is_prime") and rerank.far_analogy(far, "is_prime")
    assert not rerank.far_analogy(own, "is_prime")             # the model's own: never
    assert rerank.penalty(far, "is_prime", {}) - rerank.penalty(near, "is_prime", {}) \
        == rerank.FAR_ANALOGY
    # inflections meet: "discounted" is the "discount" of an example's tags
    assert not rerank.far_analogy(
        Candidate(4, source=src, origin="t", analogy_words=rerank.analogy_words(
            "sale_cost", "discount percent")), "discounted_price")


class Sequenced(Unscored):
    """Answers the n-th generation with ``replies[n]`` (the last one after that); cannot score."""

    def __init__(self, replies: list[str]) -> None:
        super().__init__(replies[0], prefer=None)
        self.replies, self.asked = replies, []

    def chat(self, messages, *, model=None, keep_alive=None, options=None):
        self.asked.append(messages)
        yield self.replies[min(len(self.asked), len(self.replies)) - 1]


def test_a_winner_of_the_kind_the_name_rules_out_gets_another_round(image):
    trip = _image(image)
    backend = Sequenced(["return [self.hours, 2]", "return self.hours > 2"])
    _kernel(image, backend).levers = DEFAULT
    with image.thought("three rounds"):
        image.config.kernel_max_attempts = 3
    assert trip.is_long() is True
    assert len(backend.asked) == 2
    told = backend.asked[1][-2]["content"]                # the repair turn before the prefill
    assert "asks for True or False" in told and "[2.5, 2]" in told
    assert "self.hours > 2" in mirror(trip).methods()["is_long"].source


def test_when_no_round_does_better_the_first_winner_stays(image):
    trip = _image(image)
    backend = Sequenced(["return [self.hours, 2]", "return [self.hours]"])
    _kernel(image, backend)
    with image.thought("three rounds"):
        image.config.kernel_max_attempts = 3
    assert trip.is_long() == [2.5, 2]
    assert len(backend.asked) == 3


def test_without_rerank_the_kind_is_not_checked(image):
    trip = _image(image)
    backend = Sequenced(["return [self.hours, 2]", "return self.hours > 2"])
    _kernel(image, backend).levers = DEFAULT.without("rerank")
    with image.thought("three rounds"):
        image.config.kernel_max_attempts = 3
    assert trip.is_long() == [2.5, 2] and len(backend.asked) == 1


def test_a_candidate_that_writes_the_receivers_data_as_literals_is_charged():
    from telos.kernel.candidates import Candidate, hard_coded
    data = {"price": 20, "age": 70}
    copied = Candidate(1, source="def price_for_age(self):\n    return self.price * 20", value=400)
    read = Candidate(2, source="def price_for_age(self):\n    return self.price / 2", value=10.0)
    assert rerank.penalty(copied, "price_for_age", {}, data) \
        - rerank.penalty(read, "price_for_age", {}, data) == rerank.HARD_CODED
    assert hard_coded("def f(self):\n    return self.balance > -20", [-20]) == [-20]
    assert hard_coded("def f(self):\n    return self.name.endswith(f'report.pdf')",
                      ["report.pdf"]) == ["report.pdf"]
    assert hard_coded("def f(self):\n    return [3, -1, 4]", [[3, -1, 4]]) == [[3, -1, 4]]
    assert hard_coded("def f(self, n):\n    return self.w * 3", [], ) == []
    assert hard_coded("def f(self):\n    return 2 * self.radius", [2]) == []   # a round number
    assert hard_coded("def f(self):\n    return self.text + ' '", [" "]) == []


def test_a_division_the_other_way_round_from_a_per_name_is_charged():
    assert rerank.wrong_ratio("def km_per_litre(self):\n    return self.litres / self.km",
                              "km_per_litre")
    assert not rerank.wrong_ratio("def km_per_litre(self):\n    return self.km / self.litres",
                                  "km_per_litre")
    assert not rerank.wrong_ratio("def speed(self):\n    return self.hours / self.km", "speed")
    from telos.kernel.candidates import Candidate
    wrong = Candidate(1, source="def km_per_litre(self):\n    return self.litres / self.km", value=0.1)
    assert rerank.penalty(wrong, "km_per_litre", {}) == rerank.WRONG_RATIO


def test_a_unit_contradiction_is_charged():
    from telos.kernel.candidates import Candidate
    wrong = Candidate(1, source="def hours(self):\n    return self.minutes * 60", value=9000)
    right = Candidate(2, source="def hours(self):\n    return self.minutes / 60", value=2.5)
    data = {"minutes": 150}
    assert rerank.penalty(wrong, "hours", {}, data) - rerank.penalty(right, "hours", {}, data) \
        == rerank.UNIT_CONTRADICTION


def test_adding_where_the_name_takes_away_is_charged():
    assert rerank.wrong_sign("def f(self, n):\n    return self.balance + n",
                             "balance_after_withdrawal", 130)
    assert not rerank.wrong_sign("def f(self, n):\n    return self.balance - n",
                                 "balance_after_withdrawal", 70)
    assert rerank.wrong_sign("def f(self, n):\n    return self.balance - n",
                             "balance_after_deposit", 70)
    assert not rerank.wrong_sign("def f(self, n):\n    return self.text + n",
                                 "text_without", "ab")                # not a number
    assert not rerank.wrong_sign("def f(self, n):\n    return self.a + n", "area_plus_fee", 3)



def test_names_meet_the_selector_by_their_stems():
    # ``scores`` is the ``score`` of ``average_score``: a candidate that leaves it unread is charged
    names = {"scores": set(), "label": set()}
    assert rerank.unread_named("def average_score(self):\n    return 3", "average_score", names) == 1
    assert rerank.unread_named("def average_score(self):\n    return sum(self.scores)",
                               "average_score", names) == 0
    assert rerank.unread_named("def greet(self, n):\n    return n", "greet", {"greeting": set()}) == 1
