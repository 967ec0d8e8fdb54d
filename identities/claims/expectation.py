"""Does `left = right` hold in conditional expectation, E[left - right | S] = 0, under the forward
chain's joint law (with the data law on x_0 and standard normal noises)?

The conditioning set S is searched among the random variables the difference depends on, largest
first; the first S for which the conditional mean of the difference vanishes in every instance is
the weaker claim reported.
"""

from __future__ import annotations

from itertools import combinations

from elbo_suite.identities.semantics.chain.algebra import QExp, p_const, p_var
from elbo_suite.identities.semantics.chain.evaluate import Scope


def conditional_mean(ev, diff: QExp, given: list[str]) -> QExp:
    """E[diff | given] with the chain variables from the forward letter and independent noises."""
    chain_vars = sorted(v for v in diff.variables() if not v.startswith("noise:") and v not in given)
    noises = sorted(v for v in diff.variables() if v.startswith("noise:") and v not in given)
    weight = QExp.const(1, ev.nums)
    for v in noises:
        weight = weight * QExp.gaussian(p_var(v), p_const(ev.nums.num(0)), ev.nums.num(1), ev.nums)
    chain_given = [g for g in given if not g.startswith("noise:")]
    if chain_vars:
        weight = weight * ev.density(ev._forward_letter(), chain_vars, chain_given)
    return (weight * diff).integrate(chain_vars + noises)


def holds_in_expectation(family, left, right, world, env) -> str:
    ev = family.evaluator(world)
    scope = Scope(dict(env))
    diff = ev.value(left, scope) - ev.value(right, scope)
    randoms = sorted(diff.variables())
    if not randoms:
        return ""
    candidates = []
    for size in range(len(randoms) - 1, -1, -1):
        candidates += [list(c) for c in combinations(randoms, size)]
    for given in candidates:
        if not conditional_mean(ev, diff, given).is_zero():
            continue
        if _everywhere(family, left, right, given, world, env):
            over = ", ".join(_show(v) for v in randoms if v not in given)
            cond = ", ".join(_show(v) for v in given)
            return (f"holds in expectation: E[left − right{' | ' + cond if cond else ''}] = 0, "
                    f"averaging over {over} under the forward chain; the pointwise equality fails")
    return ""


def _everywhere(family, left, right, given_at: list[str], world0, env0) -> bool:
    """The same conditioning, re-indexed, works in every instance of the row."""
    shift = {}
    for T, seed, env in _instances(family, left, right):
        w = type(world0)(T, seed)
        ev = family.evaluator(w)
        try:
            diff = ev.value(left, Scope(dict(env))) - ev.value(right, Scope(dict(env)))
        except (IndexError, ArithmeticError):
            continue
        except Exception:  # a side without a value at this step: not evidence either way
            continue
        if diff.is_zero():
            continue  # the step holds outright here
        given = _reindex(given_at, env0, env, diff.variables())
        if given is None:
            return False
        if not conditional_mean(ev, diff, given).is_zero():
            return False
    return True


def _instances(family, left, right):
    for world, env in family.instances(left, right):
        yield world.T, world.seed, env


def _reindex(given: list[str], env0: dict, env: dict, variables: set[str]) -> list[str] | None:
    """The conditioning set of one instance carried to another by the step index offset."""
    if not env0:
        return [g for g in given if g in variables]
    (symbol, v0), = list(env0.items())[:1]
    v = env.get(symbol, v0)
    out = []
    for g in given:
        name = g.rstrip("0123456789")
        digits = g[len(name):]
        if digits and not name.startswith("noise:"):
            g = f"{name}{int(digits) - v0 + v}"
        out.append(g)
    return [g for g in out if g in variables] if all(g in variables for g in out) else None


def _show(key: str) -> str:
    if key.startswith("noise:"):
        return key[len("noise:"):]
    name = key.rstrip("0123456789")
    digits = key[len(name):]
    return f"{name}_{digits}" if digits else name
