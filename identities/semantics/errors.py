"""Why a family could not give an expression a value."""


class NotApplicable(Exception):
    """The expression is outside this model family (e.g. a Gaussian density in the discrete one)."""


class NotClosed(Exception):
    """Inside the family, but outside the closed forms it computes."""


class Divergent(Exception):
    """The expression has no value anywhere in the family (e.g. an integral that diverges)."""
