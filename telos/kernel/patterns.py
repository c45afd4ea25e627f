"""A small pattern book of worked methods, offered to the model as examples by analogy
(:mod:`telos.kernel.analogy`) next to the methods the image itself holds.

Small models (SmolLM2-135M) copy an example far better than they follow an instruction, and
copy its *slot names* too: so every example here lives in a domain of its own (kettles, songs,
pantries...) whose slot names a typical receiver does not share, and the analogy index picks
the two whose selector, slot types and call shape look most like the request. Each entry is
(prototype, slots, methods it already has, selector, call arguments, source).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pattern:
    proto: str
    slots: dict
    selector: str
    source: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)     # selector -> source, already on the object
    tags: str = ""                                  # words a request for this idiom may use


P = Pattern
PATTERNS: tuple[Pattern, ...] = (
    # arithmetic on slots
    P("Kettle", {"litres": 1.5, "cups_per_litre": 4}, "cups_in_kettle",
      "def cups_in_kettle(self):\n    return self.litres * self.cups_per_litre",
      tags="product times multiply area volume"),
    P("Garden", {"side_a": 6, "side_b": 9}, "fence_length",
      "def fence_length(self):\n    return 2 * (self.side_a + self.side_b)",
      tags="perimeter around border outline twice sum sides"),
    P("Runner", {"minutes": 50, "km": 10}, "minutes_per_km",
      "def minutes_per_km(self):\n    return self.minutes / self.km",
      tags="per rate speed average ratio divide"),
    P("Loan", {"amount": 800, "fee_rate": 0.02}, "fee",
      "def fee(self):\n    return self.amount * self.fee_rate",
      tags="rate percent interest tax share portion"),
    P("Oven", {"fahrenheit": 212}, "celsius_value",
      "def celsius_value(self):\n    return (self.fahrenheit - 32) * 5 / 9",
      tags="convert conversion degrees formula"),
    P("Coat", {"cost": 80, "markdown_percent": 25}, "sale_cost",
      "def sale_cost(self):\n    return self.cost * (100 - self.markdown_percent) / 100",
      tags="discount percent reduced off markdown"),
    P("Sphere", {"r": 3}, "surface",
      "def surface(self):\n    import math\n    return 4 * math.pi * self.r ** 2",
      tags="pi circle round radius math"),
    # strings
    P("Song", {"title": "Yesterday", "artist": "The Beatles"}, "label",
      "def label(self):\n    return self.title + \" - \" + self.artist",
      tags="name full joined combine concatenate space"),
    P("Band", {"name": "the rolling stones"}, "name_in_title_case",
      "def name_in_title_case(self):\n    return self.name.title()",
      tags="case capitalize title upper lower format"),
    P("City", {"name": "Oslo", "country": "Norway"}, "first_letters",
      "def first_letters(self):\n    return self.name[0] + self.country[0]",
      tags="initials first letter letters abbreviation"),
    P("Sentence", {"text": "hello big world"}, "first_word",
      "def first_word(self):\n    return self.text.split()[0]",
      tags="word split part"),
    P("Tweet", {"text": "so much fun"}, "letter_count",
      "def letter_count(self):\n    return sum(1 for ch in self.text if ch.isalpha())",
      tags="count number vowels characters letters how many"),
    P("Url", {"address": "https://telos.org/docs"}, "scheme",
      "def scheme(self):\n    return self.address.split(\"://\")[0]",
      tags="domain split part after before at"),
    P("Tag", {"text": "noon"}, "reads_same_backwards",
      "def reads_same_backwards(self):\n    return self.text == self.text[::-1]",
      tags="palindrome reverse backwards same"),
    # collections
    P("Playlist", {"durations": [180, 240, 200]}, "total_seconds",
      "def total_seconds(self):\n    return sum(self.durations)",
      tags="total sum add all together"),
    P("Race", {"times": [12.5, 11.9, 13.1]}, "fastest_time",
      "def fastest_time(self):\n    return min(self.times)",
      tags="lowest smallest minimum least"),
    P("Survey", {"answers": [3, 4, 5]}, "mean_answer",
      "def mean_answer(self):\n    return sum(self.answers) / len(self.answers)",
      tags="average mean"),
    P("Pantry", {"jars": {"jam": 2, "honey": 0, "salt": 1}}, "jar_total",
      "def jar_total(self):\n    return sum(self.jars.values())",
      tags="total sum values dict count all items"),
    P("Pantry", {"jars": {"jam": 2, "honey": 0, "salt": 1}}, "empty_jars",
      "def empty_jars(self):\n    return [kind for kind, n in self.jars.items() if n == 0]",
      tags="empty zero out missing none keys where"),
    P("Garage", {"cars": ["Volvo", "Audi", "Fiat"]}, "cars_alphabetically",
      "def cars_alphabetically(self):\n    return sorted(self.cars)",
      tags="sorted sort order alphabetical"),
    P("Garage", {"cars": ["Volvo", "Audi", "Fiat"]}, "car_count",
      "def car_count(self):\n    return len(self.cars)",
      tags="count number how many length size"),
    P("Dice", {"rolls": [1, 6, 3, 5]}, "odd_rolls",
      "def odd_rolls(self):\n    return [r for r in self.rolls if r % 2 == 1]",
      tags="filter only even odd which select"),
    P("Directory", {"rooms": {"lab": 12, "hall": 3}}, "room_names",
      "def room_names(self):\n    return sorted(self.rooms.keys())",
      tags="names keys sorted list"),
    # two-step logic
    P("Lamp", {"watts": 75}, "is_bright", "def is_bright(self):\n    return self.watts > 60",
      tags="is above over greater more than check"),
    P("Parcel", {"kilos": 12, "base_cost": 5, "heavy_over": 10}, "postage",
      "def postage(self):\n    if self.kilos > self.heavy_over:\n        return self.base_cost * 2\n"
      "    return self.base_cost",
      tags="if else threshold free over limit when"),
    P("Counter", {"count": 9}, "is_even", "def is_even(self):\n    return self.count % 2 == 0",
      tags="is divisible remainder modulo"),
    P("Exam", {"points": 47}, "result",
      "def result(self):\n    for limit, word in ((45, \"good\"), (30, \"pass\")):\n"
      "        if self.points >= limit:\n            return word\n    return \"fail\"",
      tags="grade level band category letter score"),
    P("Fence", {"left": 2, "right": 2}, "is_balanced",
      "def is_balanced(self):\n    return self.left == self.right",
      tags="is equal same square match"),
    P("Span", {"start": 10}, "divisors",
      "def divisors(self):\n    n = self.start\n    return [d for d in range(1, n + 1) if n % d == 0]",
      tags="prime factors divisible range number"),
    # arguments
    P("Ticket", {"price": 40}, "price_with_fee",
      "def price_with_fee(self, fee):\n    return self.price + fee", args=(3,),
      tags="after plus add amount added"),
    P("Recipe", {"flour_grams": 250}, "flour_for",
      "def flour_for(self, servings):\n    return self.flour_grams * servings", args=(4,),
      tags="for quantity times scaled multiply"),
    P("Label", {"text": "go"}, "shouted",
      "def shouted(self, marks):\n    return self.text.upper() + \"!\" * marks",
      kwargs={"marks": 2},
      tags="repeat repeated times text"),
    P("Playlist", {"durations": [180, 240, 200]}, "songs_longer_than",
      "def songs_longer_than(self, seconds):\n    return [d for d in self.durations if d > seconds]",
      args=(190,),
      tags="below above less more than filter limit"),
    P("Pantry", {"jars": {"jam": 2, "honey": 0}}, "jars_of",
      "def jars_of(self, kind):\n    return self.jars.get(kind, 0)", args=("jam",),
      tags="of lookup get key quantity"),
    P("Lamp", {"watts": 75}, "uses_less_than",
      "def uses_less_than(self, limit):\n    return self.watts < limit", args=(100,),
      tags="than compare warmer colder bigger smaller"),
    P("Point", {"x": 2, "y": 5}, "moved_by",
      "def moved_by(self, dx, dy):\n    return [self.x + dx, self.y + dy]", args=(1, 1),
      tags="vector other pair two dot product"),
    # delegation to other methods of the object
    P("Lamp", {"watts": 75, "hours_per_day": 4}, "yearly_cost",
      "def yearly_cost(self, price):\n    return self.yearly_kwh() * price", args=(0.3,),
      methods={"yearly_kwh": "def yearly_kwh(self):\n"
                             "    return self.watts * self.hours_per_day * 365 / 1000"},
      tags="cost price uses method"),
    P("Song", {"title": "Yesterday", "artist": "The Beatles"}, "label_in_lower_case",
      "def label_in_lower_case(self):\n    return self.label().lower()",
      methods={"label": "def label(self):\n    return self.title + \" - \" + self.artist"},
      tags="upper lower case uses method"),
    P("Kettle", {"litres": 1.5, "cups_per_litre": 4, "spare_cups": 2}, "all_cups",
      "def all_cups(self):\n    return self.cups_in_kettle() + self.spare_cups",
      methods={"cups_in_kettle": "def cups_in_kettle(self):\n"
                                 "    return self.litres * self.cups_per_litre"},
      tags="plus with uses method total"),
)
