"""The one error a routing table raises: it names the offending key, like a settings error."""

from __future__ import annotations


class RoutingError(ValueError):
    """A bad routing table or a bad reference to it. ``str(e) == f"{key}: {problem}"``."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem
