"""The one exception the gate raises: the user's input (not their maths) is unusable."""


class GateInputError(ValueError):
    """Bad input to the gate: a spec that does not load, a non-callable, a callable that raises,
    one that returns the wrong type, dtype or shape, or an option the gate does not know.

    The message is one line naming what was wrong and what was expected. A wrong *value* or
    *gradient* is not bad input: it is a failed check, reported as a `GateResult` with
    `passed=False`. So is a NaN or inf returned on the gate's finite inputs: that is overflow or
    underflow in the user's function.
    """
