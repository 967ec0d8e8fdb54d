"""Do two objectives have the same minimisers over the learned parameters?

The learned maps are affine with free coefficients, so an objective built from squared errors and
Gaussian log-densities is a quadratic function of those coefficients. Its gradient and Hessian are
read off exact evaluations (a quadratic's finite differences are exact), its minimisers solved for,
and each objective's minimiser tested on the other. When they differ, the conditional mean of the
left objective given the right one's random variables is tried too: an objective that matches only
after averaging (Tweedie's formula in place of the data) has the same minimisers in expectation.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from elbo_suite.identities.semantics.chain.evaluate import ChainEvaluator, Scope
from elbo_suite.identities.semantics.errors import NotClosed


def _quadratic(values, base: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """f0, gradient and Hessian of a quadratic from its values at base + unit steps."""
    k = len(base)
    f0 = values(base)
    grad = np.zeros(k)
    hess = np.zeros((k, k))
    plus = [values(base + e) for e in np.eye(k)]
    minus = [values(base - e) for e in np.eye(k)]
    for i in range(k):
        grad[i] = (plus[i] - minus[i]) / 2
        hess[i, i] = plus[i] + minus[i] - 2 * f0
    for i in range(k):
        for j in range(i + 1, k):
            hess[i, j] = hess[j, i] = values(base + np.eye(k)[i] + np.eye(k)[j]) - plus[i] - plus[j] + f0
    probe = base + 2 * np.eye(k)[0] - (np.eye(k)[-1] if k > 1 else 0)
    d = probe - base
    predicted = f0 + grad @ d + d @ hess @ d / 2
    actual = values(probe)
    if abs(predicted - actual) > 1e-6 * (1 + abs(actual)):
        raise NotClosed("an objective that is not quadratic in the learned coefficients")
    return f0, grad, hess


def compare(family, left, right, world, env, groups) -> tuple[bool, str]:
    """(same, description): whether the minimisers over the learned coefficients coincide."""
    world = type(world)(world.T, world.seed)  # a fresh instance records exactly what these use
    ev = ChainEvaluator(family.spec, family.bindings, world, family.evaluator(world).nums)
    scope = Scope(dict(env))
    fl, fr = ev.value(left, scope), ev.value(right, scope)
    keys = sorted(k for k, g in world.groups.items() if g in groups and "#" not in k)
    if not keys:
        raise NotClosed("no learned coefficient in the objectives")
    free = sorted(fl.variables() | fr.variables())
    point = {v: float(world.point(v)) for v in free}
    base = np.array([float(world.used.get(k, 0)) for k in keys])

    def objective(node):
        def values(c):
            w = world.with_overrides({k: Fraction(float(x)).limit_denominator(10 ** 6) for k, x in zip(keys, c)})
            e = ChainEvaluator(family.spec, family.bindings, w, ev.nums)  # not cached: values differ
            return float(e.value(node, Scope(dict(env))).evaluate(point))
        return values

    results = []
    for node in (left, right):
        f0, grad, hess = _quadratic(objective(node), base)
        if np.linalg.eigvalsh(hess).min() < -1e-9 * (1 + np.abs(hess).max()):
            raise NotClosed("an objective without a minimum in the learned coefficients")
        step, *_ = np.linalg.lstsq(hess, -grad, rcond=None)
        results.append((f0, grad, hess, base + step))
    (f0l, gl, hl, ml), (f0r, gr, hr, mr) = results
    scale = 1 + np.abs(gl).max() + np.abs(gr).max() + np.abs(hl).max() + np.abs(hr).max()
    grad_l_at_r = gl + hl @ (mr - base)
    grad_r_at_l = gr + hr @ (ml - base)
    if np.abs(grad_l_at_r).max() <= 1e-7 * scale and np.abs(grad_r_at_l).max() <= 1e-7 * scale:
        return True, ""
    at = ", ".join(f"{_short(k)}={x:.6g}" for k, x in zip(keys, mr))
    left_there = f0l + gl @ (mr - base) + (mr - base) @ hl @ (mr - base) / 2
    left_min = f0l + gl @ (ml - base) + (ml - base) @ hl @ (ml - base) / 2
    where = ", ".join(f"{_show(v)}={world.point(v)}" for v in free)
    return False, (f"with T={world.T}, {', '.join(f'{k}={v}' for k, v in sorted(env.items()))}"
                   f"{', at ' + where if where else ''}: the right objective is minimised at {at}, where "
                   f"the left one is {left_there:.6g}, above its minimum {left_min:.6g}")


def _short(key: str) -> str:
    return key.split("(")[0] + ("(" + key.split("(", 1)[1] if "(" in key else "")


def _show(key: str) -> str:
    if key.startswith("noise:"):
        return key[len("noise:"):]
    name = key.rstrip("0123456789")
    digits = key[len(name):]
    return f"{name}_{digits}" if digits else name


def same_in_expectation(family, left, right, world, env, groups, instances: int) -> str:
    """'...' when E[left objective | right's random variables] and the right objective have the
    same minimisers (a positive multiple plus a constant, over re-drawn learned maps)."""
    from elbo_suite.identities.claims.expectation import conditional_mean
    from elbo_suite.identities.semantics.chain.family import _affine_relation

    fs, gs = [], []
    given = None
    for j in range(instances):
        w = world.with_theta(j, groups)
        ev = family.evaluator(w)
        scope = Scope(dict(env))
        fl, fr = ev.value(left, scope), ev.value(right, scope)
        if given is None:
            given = sorted(fr.variables())
            if set(fl.variables()) <= set(given):
                return ""
        fs.append(conditional_mean(ev, fl, given))
        gs.append(fr)
    free = set()
    for f, g in zip(fs, gs):
        free |= f.variables() | g.variables()
    for shift in (0, 1):
        point = {v: float(world.point(v)) + shift for v in free}
        relation = _affine_relation([f.evaluate(point) for f in fs], [g.evaluate(point) for g in gs])
        if relation is None or (relation[0] is not None and relation[0] <= 0):
            return ""
    cond = ", ".join(_show(v) for v in given)
    return (f"holds in expectation: the left objective averaged given {cond} has the same minimisers "
            f"as the right one; pointwise the minimisers differ")
