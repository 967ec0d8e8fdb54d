"""Does `left = right` hold up to a term free of the learned parameters, or at least for the
minimisers over them?

The learned maps are re-drawn (THETA_INSTANCES instances per world): when left - right does not
change, the two sides differ by a constant in theta (same gradients, same minimisers); when
right = c * left + d with c > 0 and d free of theta, only the minimisers agree.
"""

from __future__ import annotations

from elbo_suite.identities.semantics.chain.evaluate import Scope

GROUPS = frozenset({"theta", "phi", "eta", "psi"})


def holds_up_to_constant(family, left, right, world, env) -> str:
    """The weaker claim that holds in every instance of the row, or ''."""
    from elbo_suite.identities.semantics.chain.family import THETA_INSTANCES, _affine_relation
    from elbo_suite.identities.semantics.errors import Divergent

    constant, minimisers, moved = True, True, False
    for w, e in family.instances(left, right):
        values = []
        try:
            for j in range(THETA_INSTANCES):
                ev = family.evaluator(w.with_theta(j, GROUPS))
                scope = Scope(dict(e))
                values.append((ev.value(left, scope), ev.value(right, scope)))
        except (IndexError, Divergent):
            continue
        if all((lv - values[0][0]).is_zero() and (rv - values[0][1]).is_zero() for lv, rv in values[1:]):
            continue  # nothing moves with the parameters in this instance
        moved = True
        diffs = [lv - rv for lv, rv in values]
        if not all((d - diffs[0]).is_zero() for d in diffs[1:]):
            constant = False
        if minimisers:
            free = set()
            for lv, rv in values:
                free |= lv.variables() | rv.variables()
            for shift in (0, 1):
                point = {v: float(w.point(v)) + shift for v in free}
                relation = _affine_relation([lv.evaluate(point) for lv, _ in values],
                                            [rv.evaluate(point) for _, rv in values])
                if relation is None or relation[0] is None or relation[0] <= 0:
                    minimisers = False
    if not moved:
        return ""
    if constant:
        return ("holds up to a term free of the learned parameters: left − right does not change "
                "when the learned maps change, so both sides have the same gradients and minimisers "
                "in the parameters; the equality itself fails")
    if minimisers:
        return ("holds for the minimisers only: the right side is a positive multiple of the left plus a "
                "term free of the learned parameters, so both have the same minimisers; the equality "
                "itself fails")
    return ""
