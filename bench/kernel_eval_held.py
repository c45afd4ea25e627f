"""The kernel's held-out evaluation set: requests written after the levers and the pattern book,
never used to tune them (``bench kernel --eval --set held-out``).

The development set (:mod:`kernel_eval`) was in view while the levers, the prompt and the pattern
book's tags were chosen, so its figure flatters them. These requests use other prototypes,
other selectors and other slot names in the same six categories; a lever that only learned the
development set shows it here. Same shape and checks as :mod:`kernel_eval` (every reference
runs in ``tests/kernel/test_eval_set.py``).
"""

from __future__ import annotations

from kernel_eval import Parent, Request, _src

R = Request

REQUESTS: list[Request] = [
    # -- arithmetic ------------------------------------------------------------------------------
    R("arithmetic", "Square", {"side": 6}, "area", 36, _src("""
        def area(self):
            return self.side * self.side""")),
    R("arithmetic", "Meal", {"bill": 80, "tip_percent": 15}, "tip", 12.0, _src("""
        def tip(self):
            return self.bill * self.tip_percent / 100""")),
    R("arithmetic", "Car", {"km": 300, "litres": 20}, "km_per_litre", 15.0, _src("""
        def km_per_litre(self):
            return self.km / self.litres""")),
    R("arithmetic", "Duration", {"minutes": 150}, "hours", 2.5, _src("""
        def hours(self):
            return self.minutes / 60""")),
    R("arithmetic", "Salary", {"monthly": 3000}, "yearly", 36000, _src("""
        def yearly(self):
            return self.monthly * 12""")),
    # -- strings ---------------------------------------------------------------------------------
    R("strings", "City", {"name": "paris"}, "capitalized_name", "Paris", _src("""
        def capitalized_name(self):
            return self.name.capitalize()""")),
    R("strings", "File", {"filename": "report.pdf"}, "extension", "pdf", _src("""
        def extension(self):
            return self.filename.split(".")[-1]""")),
    R("strings", "Tweet", {"text": "hello world"}, "character_count", 11, _src("""
        def character_count(self):
            return len(self.text)""")),
    R("strings", "Address", {"street": "Main St", "city": "Springfield"}, "one_line",
      "Main St, Springfield", _src("""
        def one_line(self):
            return self.street + ", " + self.city""")),
    R("strings", "Word", {"text": "Banana"}, "lower_text", "banana", _src("""
        def lower_text(self):
            return self.text.lower()""")),
    # -- collections -----------------------------------------------------------------------------
    R("collections", "Basket", {"weights": [2, 7, 4]}, "lightest_weight", 2, _src("""
        def lightest_weight(self):
            return min(self.weights)""")),
    R("collections", "Queue", {"items": ["a", "b", "c"]}, "first_item", "a", _src("""
        def first_item(self):
            return self.items[0]""")),
    R("collections", "Wallet", {"coins": [1, 2, 2, 5]}, "total_money", 10, _src("""
        def total_money(self):
            return sum(self.coins)""")),
    R("collections", "Shelf", {"books": {"Dune": 412, "Emma": 320}}, "total_pages", 732, _src("""
        def total_pages(self):
            return sum(self.books.values())""")),
    R("collections", "Readings", {"values": [3, -1, 4, -2]}, "positive_values", [3, 4], _src("""
        def positive_values(self):
            return [v for v in self.values if v > 0]""")),
    # -- two-step logic --------------------------------------------------------------------------
    R("two_step", "Account", {"balance": -20}, "is_overdrawn", True, _src("""
        def is_overdrawn(self):
            return self.balance < 0""")),
    R("two_step", "Battery", {"charge_percent": 15}, "needs_charging", True, _src("""
        def needs_charging(self):
            return self.charge_percent < 20""")),
    R("two_step", "Ticket", {"age": 70, "price": 20}, "price_for_age", 10.0, _src("""
        def price_for_age(self):
            if self.age >= 65:
                return self.price / 2
            return self.price""")),
    R("two_step", "Number", {"value": 7}, "is_odd", True, _src("""
        def is_odd(self):
            return self.value % 2 == 1""")),
    # -- arguments -------------------------------------------------------------------------------
    R("arguments", "Wallet", {"cash": 50}, "can_afford", True, _src("""
        def can_afford(self, price):
            return self.cash >= price"""), args=(30,)),
    R("arguments", "Circle", {"radius": 2}, "scaled_radius", 6, _src("""
        def scaled_radius(self, factor):
            return self.radius * factor"""), args=(3,)),
    R("arguments", "Greeter", {"greeting": "Hello"}, "greet", "Hello, Ada", _src("""
        def greet(self, name):
            return self.greeting + ", " + name"""), args=("Ada",)),
    R("arguments", "Account", {"balance": 100}, "balance_after_withdrawal", 70, _src("""
        def balance_after_withdrawal(self, amount):
            return self.balance - amount"""), args=(30,)),
    # -- delegation ------------------------------------------------------------------------------
    R("delegation", "Square", {"side": 3}, "double_area", 18, _src("""
        def double_area(self):
            return self.area() * 2"""),
      methods={"area": _src("""
        def area(self):
            return self.side * self.side""")}),
    R("delegation", "Employee", {"first": "Alan", "last": "Turing"}, "greeting",
      "Hello, Alan Turing", _src("""
        def greeting(self):
            return "Hello, " + self.name()"""),
      methods={"name": _src("""
        def name(self):
            return self.first + " " + self.last""")}),
    R("delegation", "Puppy", {"age_months": 6}, "age_description", "Rex is 6 months old", _src("""
        def age_description(self):
            return f"{self.label()} is {self.age_months} months old"
        """),
      parent=Parent("Dog", {"dog_name": "Rex"}, {"label": _src("""
        def label(self):
            return self.dog_name""")})),
]
