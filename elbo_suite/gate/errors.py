"""The one exception the gate raises: the user's input (not their maths) is unusable."""


class GateInputError(ValueError):
    """Bad input to the gate: a spec that does not load, a non-callable, a callable that raises,
    or one that returns the wrong type, dtype, shape, NaN or inf.

    The message is one line naming what was wrong and what was expected. A wrong *value* or
    *gradient* is not bad input: it is a failed check, reported as a `GateResult` with
    `passed=False`.
    """
