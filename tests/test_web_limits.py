"""web/limits.py with the clock moved by hand: the window, the Retry-After it gives, the audit budget."""

from __future__ import annotations

from web.limits import AuditBudget, WindowLimit


def test_window_limit_counts_per_key_and_says_how_long_to_wait() -> None:
    now = [1000.0]
    limit = WindowLimit(3, 60.0, lambda: now[0])
    assert [limit.hit("a") for _ in range(3)] == [0, 0, 0]
    assert limit.hit("a") == 60 and limit.hit("b") == 0  # another key is not held back
    now[0] += 59.2
    assert limit.hit("a") == 1  # rounded up: never "retry after 0"
    now[0] += 0.8
    assert limit.hit("a") == 0  # the three hits of t=1000 have left the window; refusals never counted
    now[0] += 30
    assert [limit.hit("a") for _ in range(3)] == [0, 0, 30]  # the one of t=1060 leaves at 1120
    now[0] += 1000
    limit.hit("c")  # a sweep drops idle keys
    assert set(limit._hits) == {"c"}


def test_audit_budget_folds_a_flood_into_few_events() -> None:
    now = [0.0]
    budget = AuditBudget(2, 10.0, lambda: now[0])
    taken = [budget.take("429:app") for _ in range(50)]
    assert taken[:2] == [0, 0] and taken[2:] == [None] * 48
    assert budget.take("401:1.2.3.4") == 0  # another reason or client has its own budget
    now[0] += 10
    assert budget.take("429:app") == 48  # the next audited one says how many were left out
    assert budget.take("429:app") == 0
