"""The kernel's evaluation set: requests a user would send to an object that lacks the method.

Each :class:`Request` names a prototype (its data slots and, optionally, methods it already has),
an optional parent prototype (slots and methods of its own), the selector sent with its
arguments, the value a correct method returns, a category, and ``reference`` — a hand-written
method that returns that value. ``tests/kernel/test_eval_set.py`` runs every reference as a
restricted method in an image, so the set only holds tasks a restricted method can do;
``bench kernel --eval`` sends every selector to the generative kernel instead.

Categories (:data:`CATEGORIES`): ``arithmetic`` on data slots, ``strings``, ``collections``
(lists and dicts held in slots), ``two_step`` logic (a condition, then a computation),
``arguments`` (positional or keyword), ``delegation`` (the method needs another method of the
receiver or of its parent).

Values are plain JSON types (the sandbox trial sends the value back as JSON); floats are
compared with a tolerance (:func:`same_value`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("arithmetic", "strings", "collections", "two_step", "arguments", "delegation")


@dataclass(frozen=True)
class Parent:
    """A prototype the receiver delegates to (registered under ``name``)."""
    name: str
    slots: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)      # selector -> source


@dataclass(frozen=True)
class Request:
    category: str
    proto: str                                       # the receiver's prototype name
    slots: dict
    selector: str
    expected: Any
    reference: str                                   # a correct method, as source
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)      # the receiver's own methods
    parent: Parent | None = None

    @property
    def key(self) -> str:
        return f"{self.proto}.{self.selector}"

    def call_text(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.key}({', '.join(parts)})"


def build(image, request: Request):
    """Register the request's parent (if any) and receiver in ``image``, in one thought; return
    the receiver. The image needs nothing else: genesis gives it ``Object``."""
    from telos.reflect import mirror
    with image.thought(f"eval setup {request.key}"):
        base = image.prototypes["Object"]
        if request.parent is not None:
            p = request.parent
            base = image.register(p.name, base.derive(**p.slots))
            for selector, source in p.methods.items():
                mirror(base).define(selector, source)
        receiver = image.register(request.proto, base.derive(**request.slots))
        for selector, source in request.methods.items():
            mirror(receiver).define(selector, source)
    return receiver


def plain(value: Any) -> Any:
    """``value`` with persistent containers turned into lists and dicts (for comparing and JSON)."""
    if isinstance(value, (str, bytes, bool, int, float)) or value is None:
        return value
    if hasattr(value, "items"):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or hasattr(value, "__iter__"):
        return [plain(v) for v in value]
    return value


def same_value(got: Any, expected: Any, *, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    """Exact equality, except floats (within a tolerance) and bools (must be bools)."""
    got = plain(got)
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, float) or isinstance(got, float):
        return (isinstance(got, (int, float)) and isinstance(expected, (int, float))
                and math.isclose(got, expected, rel_tol=rel, abs_tol=abs_))
    if isinstance(expected, list):
        return (isinstance(got, list) and len(got) == len(expected)
                and all(same_value(g, e) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and got.keys() == expected.keys()
                and all(same_value(got[k], v) for k, v in expected.items()))
    return type(got) is type(expected) and got == expected


def _src(text: str) -> str:
    """Method source from an indented triple-quoted string."""
    import textwrap
    return textwrap.dedent(text).strip("\n") + "\n"


R = Request
STOCK = {"apples": 5, "pears": 0, "plums": 7}

REQUESTS: list[Request] = [
    # -- arithmetic on data slots ----------------------------------------------------------------
    R("arithmetic", "Rectangle", {"width": 3, "height": 4}, "area", 12, _src("""
        def area(self):
            return self.width * self.height""")),
    R("arithmetic", "Rectangle", {"width": 3, "height": 4}, "perimeter", 14, _src("""
        def perimeter(self):
            return 2 * (self.width + self.height)""")),
    R("arithmetic", "Circle", {"radius": 2}, "circumference", 4 * math.pi, _src("""
        def circumference(self):
            import math
            return 2 * math.pi * self.radius""")),
    R("arithmetic", "Temperature", {"celsius": 25}, "fahrenheit", 77.0, _src("""
        def fahrenheit(self):
            return self.celsius * 9 / 5 + 32""")),
    R("arithmetic", "Box", {"length": 2, "width": 3, "height": 4}, "volume", 24, _src("""
        def volume(self):
            return self.length * self.width * self.height""")),
    R("arithmetic", "Invoice", {"net": 200, "tax_rate": 0.25}, "tax_amount", 50.0, _src("""
        def tax_amount(self):
            return self.net * self.tax_rate""")),
    R("arithmetic", "Trip", {"distance_km": 150, "hours": 2.5}, "average_speed", 60.0, _src("""
        def average_speed(self):
            return self.distance_km / self.hours""")),
    R("arithmetic", "Product", {"price": 20, "discount_percent": 15}, "discounted_price", 17.0,
      _src("""
        def discounted_price(self):
            return self.price * (100 - self.discount_percent) / 100""")),
    R("arithmetic", "Account", {"balance": 1000, "yearly_rate": 0.05}, "yearly_interest", 50.0,
      _src("""
        def yearly_interest(self):
            return self.balance * self.yearly_rate""")),

    # -- strings ---------------------------------------------------------------------------------
    R("strings", "Person", {"first_name": "Ada", "last_name": "Lovelace"}, "full_name",
      "Ada Lovelace", _src("""
        def full_name(self):
            return self.first_name + " " + self.last_name""")),
    R("strings", "Person", {"first_name": "Grace", "last_name": "Hopper"}, "initials", "GH",
      _src("""
        def initials(self):
            return self.first_name[0] + self.last_name[0]""")),
    R("strings", "Book", {"title": "the old man and the sea"}, "title_in_upper_case",
      "THE OLD MAN AND THE SEA", _src("""
        def title_in_upper_case(self):
            return self.title.upper()""")),
    R("strings", "Person", {"name": "Barbara"}, "count_vowels_in_name", 3, _src("""
        def count_vowels_in_name(self):
            return sum(1 for c in self.name.lower() if c in "aeiou")""")),
    R("strings", "Word", {"text": "level"}, "is_palindrome", True, _src("""
        def is_palindrome(self):
            return self.text == self.text[::-1]""")),
    R("strings", "Message", {"text": "the quick brown fox"}, "word_count", 4, _src("""
        def word_count(self):
            return len(self.text.split())""")),
    R("strings", "User", {"email": "ada@example.com"}, "email_domain", "example.com", _src("""
        def email_domain(self):
            return self.email.split("@")[1]""")),
    R("strings", "Word", {"text": "stressed"}, "reversed_text", "desserts", _src("""
        def reversed_text(self):
            return self.text[::-1]""")),

    # -- collections held in slots ---------------------------------------------------------------
    R("collections", "Cart", {"prices": [3, 5, 12]}, "total_price", 20, _src("""
        def total_price(self):
            return sum(self.prices)""")),
    R("collections", "Classroom", {"scores": [70, 85, 90, 55]}, "highest_score", 90, _src("""
        def highest_score(self):
            return max(self.scores)""")),
    R("collections", "Classroom", {"scores": [70, 80, 90]}, "average_score", 80.0, _src("""
        def average_score(self):
            return sum(self.scores) / len(self.scores)""")),
    R("collections", "Inventory", {"stock": STOCK}, "total_items", 12, _src("""
        def total_items(self):
            return sum(self.stock.values())""")),
    R("collections", "Inventory", {"stock": STOCK}, "out_of_stock_items", ["pears"], _src("""
        def out_of_stock_items(self):
            return [name for name, count in self.stock.items() if count == 0]""")),
    R("collections", "Library", {"books": ["Dune", "Emma", "Ulysses"]}, "book_count", 3, _src("""
        def book_count(self):
            return len(self.books)""")),
    R("collections", "Team", {"members": ["Zoe", "Adam", "Mia"]}, "sorted_members",
      ["Adam", "Mia", "Zoe"], _src("""
        def sorted_members(self):
            return sorted(self.members)""")),
    R("collections", "Numbers", {"values": [1, 2, 3, 4, 5, 6]}, "even_values", [2, 4, 6], _src("""
        def even_values(self):
            return [v for v in self.values if v % 2 == 0]""")),
    R("collections", "Phonebook", {"numbers": {"bob": "555-9876", "ada": "555-1234"}},
      "sorted_contact_names", ["ada", "bob"], _src("""
        def sorted_contact_names(self):
            return sorted(self.numbers.keys())""")),

    # -- two-step logic: a condition, then a computation -----------------------------------------
    R("two_step", "Person", {"name": "Ada", "age": 20}, "is_adult", True, _src("""
        def is_adult(self):
            return self.age >= 18""")),
    R("two_step", "Order", {"subtotal": 120, "shipping": 10, "free_shipping_over": 100},
      "total_with_shipping", 120, _src("""
        def total_with_shipping(self):
            if self.subtotal >= self.free_shipping_over:
                return self.subtotal
            return self.subtotal + self.shipping""")),
    R("two_step", "Thermostat", {"temperature": 30, "target": 22}, "needs_cooling", True, _src("""
        def needs_cooling(self):
            return self.temperature > self.target""")),
    R("two_step", "Student", {"name": "Ada", "score": 84}, "letter_grade", "B", _src("""
        def letter_grade(self):
            for limit, grade in ((90, "A"), (80, "B"), (70, "C"), (60, "D")):
                if self.score >= limit:
                    return grade
            return 'F'""")),
    R("two_step", "Rectangle", {"width": 5, "height": 5}, "is_square", True, _src("""
        def is_square(self):
            return self.width == self.height""")),
    R("two_step", "Year", {"number": 2024}, "is_leap_year", True, _src("""
        def is_leap_year(self):
            n = self.number
            return n % 4 == 0 and (n % 100 != 0 or n % 400 == 0)""")),
    R("two_step", "Cart", {"prices": [10, 20, 30], "discount_rate": 0.1}, "total_after_discount",
      54.0, _src("""
        def total_after_discount(self):
            return sum(self.prices) * (1 - self.discount_rate)""")),
    R("two_step", "Triangle", {"a": 3, "b": 4, "c": 5}, "is_right_triangle", True, _src("""
        def is_right_triangle(self):
            x, y, z = sorted([self.a, self.b, self.c])
            return x * x + y * y == z * z""")),
    R("two_step", "Number", {"value": 17}, "is_prime", True, _src("""
        def is_prime(self):
            n = self.value
            if n < 2:
                return False
            return all(n % d for d in range(2, int(n ** 0.5) + 1))""")),

    # -- methods with arguments ------------------------------------------------------------------
    R("arguments", "Rectangle", {"width": 3, "height": 4}, "scaled_width", 6, _src("""
        def scaled_width(self, factor):
            return self.width * factor"""), args=(2,)),
    R("arguments", "Account", {"balance": 100}, "balance_after_deposit", 150, _src("""
        def balance_after_deposit(self, amount):
            return self.balance + amount"""), args=(50,)),
    R("arguments", "Product", {"name": "pen", "price": 10}, "price_for_quantity", 30, _src("""
        def price_for_quantity(self, quantity):
            return self.price * quantity"""), args=(3,)),
    R("arguments", "Word", {"text": "ha"}, "text_repeated", "hahaha", _src("""
        def text_repeated(self, times):
            return self.text * times"""), kwargs={"times": 3}),
    R("arguments", "Cart", {"prices": [3, 5, 12]}, "prices_below", [3, 5], _src("""
        def prices_below(self, limit):
            return [p for p in self.prices if p < limit]"""), args=(6,)),
    R("arguments", "Temperature", {"celsius": 25}, "is_warmer_than", True, _src("""
        def is_warmer_than(self, other_celsius):
            return self.celsius > other_celsius"""), args=(20,)),
    R("arguments", "Inventory", {"stock": STOCK}, "quantity_of", 7, _src("""
        def quantity_of(self, item):
            return self.stock.get(item, 0)"""), args=("plums",)),
    R("arguments", "Rectangle", {"width": 3, "height": 4}, "fits_inside", True, _src("""
        def fits_inside(self, width, height):
            return self.width <= width and self.height <= height"""),
      kwargs={"width": 5, "height": 5}),
    R("arguments", "Vector", {"x": 3, "y": 4}, "dot_product", 11, _src("""
        def dot_product(self, other_x, other_y):
            return self.x * other_x + self.y * other_y"""), args=(1, 2)),

    # -- methods that need another method of the receiver or of its parent -----------------------
    R("delegation", "Room", {"width": 3, "length": 4}, "paint_cost", 24, _src("""
        def paint_cost(self, price_per_square_meter):
            return self.floor_area() * price_per_square_meter"""), args=(2,),
      methods={"floor_area": _src("""
        def floor_area(self):
            return self.width * self.length""")}),
    R("delegation", "Person", {"first_name": "Ada", "last_name": "Lovelace"},
      "full_name_in_upper_case", "ADA LOVELACE", _src("""
        def full_name_in_upper_case(self):
            return self.full_name().upper()"""),
      methods={"full_name": _src("""
        def full_name(self):
            return self.first_name + " " + self.last_name""")}),
    R("delegation", "Cart", {"prices": [3, 5, 12], "tax_rate": 0.2}, "total_with_tax", 24.0,
      _src("""
        def total_with_tax(self):
            return self.subtotal() * (1 + self.tax_rate)"""),
      methods={"subtotal": _src("""
        def subtotal(self):
            return sum(self.prices)""")}),
    R("delegation", "Thermometer", {"celsius": 35}, "is_above_90_fahrenheit", True, _src("""
        def is_above_90_fahrenheit(self):
            return self.fahrenheit() > 90"""),
      methods={"fahrenheit": _src("""
        def fahrenheit(self):
            return self.celsius * 9 / 5 + 32""")}),
    R("delegation", "Student", {"scores": [50, 70, 90]}, "average_is_above", True, _src("""
        def average_is_above(self, limit):
            return self.average_score() > limit"""), args=(65,),
      methods={"average_score": _src("""
        def average_score(self):
            return sum(self.scores) / len(self.scores)""")}),
    R("delegation", "Manager", {"hours_per_week": 40, "bonus": 100}, "weekly_pay_with_bonus", 900,
      _src("""
        def weekly_pay_with_bonus(self):
            return self.weekly_pay() + self.bonus"""),
      parent=Parent("Employee", {"hourly_rate": 20}, {"weekly_pay": _src("""
        def weekly_pay(self):
            return self.hourly_rate * self.hours_per_week""")})),
    R("delegation", "Cylinder", {"height": 2}, "volume", 2 * math.pi, _src("""
        def volume(self):
            return self.base_area() * self.height"""),
      parent=Parent("Circle", {"radius": 1}, {"base_area": _src("""
        def base_area(self):
            import math
            return math.pi * self.radius ** 2""")})),
    R("delegation", "Room", {"carpet_price": 15}, "carpet_cost", 300, _src("""
        def carpet_cost(self):
            return self.floor_area() * self.carpet_price"""),
      parent=Parent("Floor", {"width": 5, "length": 4}, {"floor_area": _src("""
        def floor_area(self):
            return self.width * self.length""")})),
    R("delegation", "Doctor", {"title": "Dr."}, "full_name_with_title", "Dr. Ada Lovelace", _src("""
        def full_name_with_title(self):
            return self.title + " " + self.full_name()"""),
      parent=Parent("Person", {"first_name": "Ada", "last_name": "Lovelace"},
                    {"full_name": _src("""
        def full_name(self):
            return self.first_name + " " + self.last_name""")})),
]
