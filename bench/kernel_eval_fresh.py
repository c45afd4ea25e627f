"""The kernel's fresh evaluation set: 30 requests nobody tuning the kernel has seen
(``bench kernel --eval --set fresh``).

Written 2026-12-03, before that day's kernel changes, by a session that had not read the
kernel's levers, its reranker or its pattern book (nor the kernel sections of the README): only
the :class:`~kernel_eval.Request` shape and the names already used by the development set
(:mod:`kernel_eval`) and the held-out set (:mod:`kernel_eval_held`), so as to use none of them.
Both earlier sets have been looked at while tuning; this one is run only to measure. Five
requests per category, every prototype (receivers and parents) its own. Same shape and checks
as :mod:`kernel_eval` (every reference runs in ``tests/kernel/test_eval_set.py``).
"""

from __future__ import annotations

from kernel_eval import Parent, Request, _src

R = Request

REQUESTS: list[Request] = [
    # -- arithmetic ------------------------------------------------------------------------------
    R("arithmetic", "Recipe", {"servings": 4, "grams_per_serving": 125}, "total_grams", 500,
      _src("""
        def total_grams(self):
            return self.servings * self.grams_per_serving""")),
    R("arithmetic", "Board", {"inches": 12}, "length_in_cm", 30.48, _src("""
        def length_in_cm(self):
            return self.inches * 2.54""")),
    R("arithmetic", "Loan", {"principal": 1200, "months": 24}, "monthly_payment", 50.0, _src("""
        def monthly_payment(self):
            return self.principal / self.months""")),
    R("arithmetic", "Runner", {"distance_km": 10, "minutes": 50}, "pace_per_km", 5.0, _src("""
        def pace_per_km(self):
            return self.minutes / self.distance_km""")),
    R("arithmetic", "Stopwatch", {"seconds": 3725}, "whole_minutes", 62, _src("""
        def whole_minutes(self):
            return self.seconds // 60""")),
    # -- strings ---------------------------------------------------------------------------------
    R("strings", "Sentence", {"text": "the quick brown fox"}, "title_case", "The Quick Brown Fox",
      _src("""
        def title_case(self):
            return self.text.title()""")),
    R("strings", "Username", {"handle": "  ada_l  "}, "trimmed_handle", "ada_l", _src("""
        def trimmed_handle(self):
            return self.handle.strip()""")),
    R("strings", "Song", {"title": "Yesterday", "artist": "The Beatles"}, "display_title",
      "Yesterday by The Beatles", _src("""
        def display_title(self):
            return self.title + " by " + self.artist""")),
    R("strings", "Password", {"secret": "hunter2"}, "masked", "*******", _src("""
        def masked(self):
            return "*" * len(self.secret)""")),
    R("strings", "Headline", {"text": "Hello Big World"}, "slug", "hello-big-world", _src("""
        def slug(self):
            return self.text.lower().replace(" ", "-")""")),
    # -- collections -----------------------------------------------------------------------------
    R("collections", "Playlist", {"durations": [180, 240, 200]}, "total_duration", 620, _src("""
        def total_duration(self):
            return sum(self.durations)""")),
    R("collections", "Survey", {"answers": ["yes", "no", "yes", "yes"]}, "yes_count", 3, _src("""
        def yes_count(self):
            return list(self.answers).count("yes")""")),
    R("collections", "Menu", {"prices": {"soup": 4, "steak": 18, "salad": 7}},
      "most_expensive_dish", "steak", _src("""
        def most_expensive_dish(self):
            return max(self.prices, key=lambda dish: self.prices[dish])""")),
    R("collections", "Gradebook", {"marks": [12, 15, 9, 18]}, "mark_range", 9, _src("""
        def mark_range(self):
            return max(self.marks) - min(self.marks)""")),
    R("collections", "Contacts", {"emails": {"ann": "ann@x.org", "bob": "bob@y.com"}},
      "contact_names", ["ann", "bob"], _src("""
        def contact_names(self):
            return list(self.emails.keys())""")),
    # -- two-step logic --------------------------------------------------------------------------
    R("two_step", "Exam", {"score": 72, "pass_mark": 50}, "passed", True, _src("""
        def passed(self):
            return self.score >= self.pass_mark""")),
    R("two_step", "Lamp", {"watts": 60, "switched_on": False}, "power_draw", 0, _src("""
        def power_draw(self):
            if self.switched_on:
                return self.watts
            return 0""")),
    R("two_step", "Coupon", {"spend": 80, "min_spend": 50, "amount_off": 10}, "amount_to_pay", 70,
      _src("""
        def amount_to_pay(self):
            if self.spend >= self.min_spend:
                return self.spend - self.amount_off
            return self.spend""")),
    R("two_step", "Speedometer", {"speed": 70, "limit": 50}, "km_over_limit", 20, _src("""
        def km_over_limit(self):
            return max(0, self.speed - self.limit)""")),
    R("two_step", "Parking", {"hours": 5, "rate": 3, "daily_cap": 12}, "fee", 12, _src("""
        def fee(self):
            return min(self.hours * self.rate, self.daily_cap)""")),
    # -- arguments -------------------------------------------------------------------------------
    R("arguments", "Pizza", {"slices": 8}, "slices_per_person", 2.0, _src("""
        def slices_per_person(self, people):
            return self.slices / people"""), args=(4,)),
    R("arguments", "PiggyBank", {"savings": 40}, "weeks_to_goal", 3.0, _src("""
        def weeks_to_goal(self, target, weekly):
            return (target - self.savings) / weekly"""), kwargs={"target": 100, "weekly": 20}),
    R("arguments", "Exchange", {"eur_to_usd": 1.1}, "to_usd", 55.0, _src("""
        def to_usd(self, euros):
            return euros * self.eur_to_usd"""), args=(50,)),
    R("arguments", "Clock", {"hour": 22}, "hour_after", 3, _src("""
        def hour_after(self, hours):
            return (self.hour + hours) % 24"""), args=(5,)),
    R("arguments", "Grid", {"rows": 3, "cols": 4}, "cell_index", 6, _src("""
        def cell_index(self, row, col):
            return row * self.cols + col"""), kwargs={"row": 1, "col": 2}),
    # -- delegation ------------------------------------------------------------------------------
    R("delegation", "Tank", {"litres": 200, "capacity": 500}, "percent_full", 40.0, _src("""
        def percent_full(self):
            return self.fill_ratio() * 100"""),
      methods={"fill_ratio": _src("""
        def fill_ratio(self):
            return self.litres / self.capacity""")}),
    R("delegation", "Course", {"credits": [5, 10, 15]}, "is_complete", True, _src("""
        def is_complete(self):
            return self.total_credits() >= 30"""),
      methods={"total_credits": _src("""
        def total_credits(self):
            return sum(self.credits)""")}),
    R("delegation", "Timer", {"seconds": 90}, "readout", "1.5 min", _src("""
        def readout(self):
            return f"{self.minutes()} min"
        """),
      methods={"minutes": _src("""
        def minutes(self):
            return self.seconds / 60""")}),
    R("delegation", "Bicycle", {"owner": "Lin"}, "summary", "Lin's bike has 2 wheels", _src("""
        def summary(self):
            return f"{self.owner}'s bike has {self.wheels_label()}"
        """),
      parent=Parent("Vehicle", {"wheel_count": 2}, {"wheels_label": _src("""
        def wheels_label(self):
            return f"{self.wheel_count} wheels"
        """)})),
    R("delegation", "Subscription", {"months": 12}, "total_cost", 108, _src("""
        def total_cost(self):
            return self.fee_for(self.months)"""),
      parent=Parent("Plan", {"monthly_fee": 9}, {"fee_for": _src("""
        def fee_for(self, months):
            return self.monthly_fee * months""")})),
]
