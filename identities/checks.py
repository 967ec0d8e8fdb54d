"""Checks of one claimed relation between two expressions, in every model family.

Each family gives both sides values with free symbolic parameters. A check first looks for a
counterexample at exact rational parameter points (30-digit evaluation), then for a symbolic
proof: for '=' the difference reduces to 0; for '>=' / '<=' the difference reduces to 0 or to a
quantity the family knows to be non-negative (a KL divergence; Gibbs' inequality); for '≈'
between objectives, the expectation over the Monte Carlo draws of the right side reduces to the
left side (and when it does not, the two maximisers are computed and compared).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics import index_sums
from elbo_suite.identities.semantics.errors import Divergent, NotApplicable, NotClosed
from elbo_suite.identities.semantics.evaluate import Context, Family
from elbo_suite.identities.semantics.numeric import canonical, differs, evaluate

VERIFIED, REFUTED, DEFINITION, UNVERIFIED = "verified", "refuted", "definition", "unverified"


@dataclass
class FamilyResult:
    family: str
    status: str  # "proved", "refuted", "undecided", "n/a"
    note: str  # proof method, counterexample summary, or reason


@dataclass
class Outcome:
    verdict: str
    evidence: str  # one line
    details: list[str] = field(default_factory=list)
    category: str = ""  # for an unverified outcome: one of verdict.UNVERIFIED_CATEGORIES
    weaker: str = ""  # for a refuted step: the weaker claim that holds (in expectation, ...)


def _fmt_point(point: dict, used: set) -> str:
    keys = sorted((k for k in point if k in used), key=lambda s: s.name)
    return ", ".join(f"{k.name}={point[k]}" for k in keys)


def _exact(expr: sp.Expr, point: dict) -> str:
    try:
        return sp.sstr(canonical(sp.sympify(expr).xreplace(point)))
    except (NotClosed, ValueError):  # too large to print exactly (limits.py, int digit limit)
        return "(too large to print exactly)"


def _components(family: Family, value) -> list[sp.Expr]:
    vals = family.values(value)
    return list(vals) if isinstance(vals, tuple) else [vals]


def _sides(family: Family, left: n.Node, right: n.Node):
    ctx_l, ctx_r = Context(), Context()
    lv = family.evaluate(left, ctx_l)
    rv = family.evaluate(right, ctx_r)
    return lv, rv, ctx_l.random[0], ctx_r.random[0]


def _evaluated(family: Family, left: n.Node, right: n.Node, results: list):
    """Both sides in `family`, or None after recording in `results` why the family cannot judge."""
    applies = getattr(family, "applies", None)
    if applies is not None and not applies(left, right):  # a family for some rows only: silent elsewhere
        return None
    try:
        return _sides(family, left, right)
    except NotApplicable as exc:
        results.append(FamilyResult(family.name, "n/a", str(exc)))
    except NotClosed as exc:
        results.append(FamilyResult(family.name, "undecided", f"no closed form: {exc}"))
    except Divergent as exc:
        results.append(FamilyResult(family.name, "undecided", f"a side has no value: {exc}"))
    return None


def _free(exprs) -> set:
    out = set()
    for e in exprs:
        out |= sp.sympify(e).free_symbols
    return out


def _search(family: Family, left_vals, right_vals, bad) -> tuple | None:
    """First point (and component) where bad(left, right) holds with both sides defined; else the
    first point where exactly one side is undefined, as a fallback. None when neither occurs."""
    free = _free(left_vals + right_vals)
    fallback = None
    lefts, rights = _broadcast(left_vals, right_vals)
    per_z = len(lefts) > 1
    for point in family.points(free):
        for j, (lx, rx) in enumerate(zip(lefts, rights)):
            k = j if per_z else None
            lval, lwhy = evaluate(lx, point)
            rval, rwhy = evaluate(rx, point)
            if lval is not None and rval is not None:
                if bad(lval, rval):
                    return ("defined", point, k, lx, rx, lval, rval)
            elif (lval is None) != (rval is None) and fallback is None:
                fallback = ("undefined", point, k, lx, rx, lval or lwhy, rval or rwhy)
    return fallback


def _broadcast(a: list, b: list):
    if len(a) == 1 and len(b) > 1:
        a = a * len(b)
    if len(b) == 1 and len(a) > 1:
        b = b * len(a)
    return a, b


def _describe(family: Family, found: tuple, left_label: str, right_label: str) -> str:
    """A counterexample in words: the family, the exact point, both sides exactly and to 8 digits
    (or why a side has no value there)."""
    kind, point, k, lx, rx, lval, rval = found
    where = _fmt_point(point, _free([lx, rx]))
    if k is not None and family.name == "discrete":
        where += f", at z={k + 1}"

    def side(expr, val):
        return f"undefined ({val})" if isinstance(val, str) else f"{_exact(expr, point)} ≈ {sp.N(val, 8)}"

    return f"{family.name} family at {where}: {left_label} = {side(lx, lval)}, {right_label} = {side(rx, rval)}"


def _at_sizes(check, left: n.Node, right: n.Node) -> list[FamilyResult] | None:
    """A row of sums up to a symbolic J (semantics/index_sums.py): the check at each concrete J,
    one result per family; None for every other row."""
    bound = index_sums.bound_of(left, right)
    if bound is None:
        return None
    by_family: dict[str, list[tuple[int, FamilyResult]]] = {}
    for size in index_sums.SIZES:
        for r in check(index_sums.instance(left, bound, size), index_sums.instance(right, bound, size)):
            by_family.setdefault(r.family, []).append((size, r))
    sizes = ", ".join(str(s) for s in index_sums.SIZES)
    out = []
    for family, results in by_family.items():
        refuted = [(s, r) for s, r in results if r.status == "refuted"]
        if refuted:
            size, r = refuted[0]
            out.append(FamilyResult(family, "refuted", f"at {bound}={size}, the sums written out: {r.note}"))
        elif len(results) == len(index_sums.SIZES) and all(r.status == "proved" for _, r in results):
            out.append(FamilyResult(family, "proved", f"at {bound} = {sizes}, the sums written out term by "
                                    f"term: {results[-1][1].note}"))
        else:
            size, r = next(((s, r) for s, r in results if r.status == "undecided"), results[0])
            out.append(FamilyResult(family, r.status, f"at {bound}={size}: {r.note}"))
    return out


# -- '=' ---------------------------------------------------------------------------------------
def check_equal(families: list[Family], left: n.Node, right: n.Node) -> list[FamilyResult]:
    sized = _at_sizes(lambda lt, rt: check_equal(families, lt, rt), left, right)
    if sized is not None:
        return sized
    results = []
    for family in families:
        sides = _evaluated(family, left, right, results)
        if sides is None:
            continue
        lv, rv, lrand, rrand = sides
        if lrand or rrand:
            results.append(FamilyResult(family.name, "undecided",
                                        "a side depends on random Monte Carlo draws; '=' with a "
                                        "random side is not an identity"))
            continue
        lvals, rvals = _components(family, lv), _components(family, rv)
        found = _search(family, lvals, rvals, differs)
        if found is not None and found[0] == "defined":
            results.append(FamilyResult(family.name, "refuted", _describe(family, found, "left", "right")))
            continue
        if family.prove_equal(lv, rv):
            results.append(FamilyResult(family.name, "proved",
                                        f"left − right ≡ 0 in the {family.description}"))
        elif found is not None:
            results.append(FamilyResult(family.name, "refuted",
                                        _describe(family, found, "left", "right")))
        else:
            results.append(FamilyResult(family.name, "undecided",
                                        "no counterexample at the test points, but the difference "
                                        "did not reduce to 0"))
    return results


# -- '=' up to a constant ----------------------------------------------------------------------
# How a row says that its '=' drops a term free of the learned parameters: a relation labelled
# =_{const}, \overset{c}{=}, \stackrel{+c}{=}, "up to a constant", or a '+ const' term.
_CONSTANT_LABEL = re.compile(r"(?i)\bconst|\bconstant|^\s*[+-]?\s*c\s*$|up to")


def states_a_constant(label: str) -> bool:
    return bool(_CONSTANT_LABEL.search(label or ""))


def without_constants(node: n.Node) -> tuple[n.Node, bool]:
    """The expression with its '+ const' terms removed, and whether it had any."""
    if isinstance(node, n.Constant):
        return n.Num("0"), True
    if isinstance(node, n.Add):
        kept = [t for t in node.terms
                if not isinstance(t, n.Constant) and not (isinstance(t, n.Neg) and isinstance(t.arg, n.Constant))]
        if len(kept) < len(node.terms):
            return (n.Add(tuple(kept)) if len(kept) > 1 else kept[0] if kept else n.Num("0")), True
    return node, False


def check_up_to_constant(families: list[Family], left: n.Node, right: n.Node) -> list[FamilyResult]:
    """'left = right + const': left − right is free of one group of learned parameters (the
    model's, or the variational density's: "constant in theta" while fitting theta, "constant in
    phi" while fitting phi). A counterexample moves each group alone and changes left − right."""
    results = []
    for family in families:
        groups = getattr(family, "learned", None)
        if groups is None:
            continue
        sides = _evaluated(family, left, right, results)
        if sides is None:
            continue
        lv, rv, lrand, rrand = sides
        if lrand or rrand:
            results.append(FamilyResult(family.name, "undecided", "a side depends on random draws"))
            continue
        diffs = _components(family, lv - rv)
        points = family.points(_free(diffs))
        moves = {name: _moves(diffs, points, symbols) for name, symbols in groups.items()}
        free = [name for name in groups
                if all(canonical(d).free_symbols <= family.fixed | (family.all_learned - groups[name])
                       for d in diffs)]
        if free:
            # only the family's own symbols may remain: a document symbol of unknown role
            # (mu_theta(z), sigma) could be learned
            results.append(FamilyResult(family.name, "proved", f"left − right is free of the {free[0]} parameters "
                                        f"in the {family.description}"))
        elif all(moves.values()):
            where = "; ".join(f"moving the {name} parameters alone: {moved}" for name, moved in moves.items())
            results.append(FamilyResult(family.name, "refuted", f"{family.name} family: left − right changes "
                                        f"with every group of learned parameters ({where})"))
        else:
            results.append(FamilyResult(family.name, "undecided", "left − right did not reduce to a term free "
                                        "of a group of learned parameters"))
    return results


def _moves(diffs, points, symbols) -> str:
    """Where moving only `symbols` changes a difference: 'v₀ at point → v₁ at point'; '' if nowhere."""
    for other in points[1:]:
        moved = {**points[0], **{k: v for k, v in other.items() if k in symbols}}
        for d in diffs:
            a, _ = evaluate(d, points[0])
            b, _ = evaluate(d, moved)
            if a is not None and b is not None and differs(a, b):
                used = _free([d])
                return f"{sp.N(a, 8)} at {_fmt_point(points[0], used)}, {sp.N(b, 8)} at {_fmt_point(moved, used)}"
    return ""


# -- '>=' / '<=' -------------------------------------------------------------------------------
def check_inequality(families: list[Family], left: n.Node, rel: str, right: n.Node) -> list[FamilyResult]:
    sized = _at_sizes(lambda lt, rt: check_inequality(families, lt, rel, rt), left, right)
    if sized is not None:
        return sized
    big, small = (left, right) if rel in {">=", ">"} else (right, left)
    results = []
    for family in families:
        sides = _evaluated(family, big, small, results)
        if sides is None:
            continue
        bv, sv, brand, srand = sides
        if brand or srand:
            results.append(FamilyResult(family.name, "undecided", "a side depends on random draws"))
            continue
        bvals, svals = _components(family, bv), _components(family, sv)
        tol = sp.Float("1e-15", 30)
        found = _search(family, bvals, svals, lambda b, s: b - s < -tol * (1 + abs(b) + abs(s)))
        if found is not None and found[0] == "defined":
            kind, point, k, bx, sx, bval, sval = found
            if big is left:
                msg = _describe(family, found, "left", "right")
            else:
                msg = _describe(family, ("defined", point, k, sx, bx, sval, bval), "left", "right")
            results.append(FamilyResult(family.name, "refuted",
                                        msg + f" — the claimed '{rel}' fails"))
            continue
        diff = bv - sv
        if family.prove_equal(bv, sv):
            results.append(FamilyResult(family.name, "proved",
                                        f"both sides are identical (difference ≡ 0) in the {family.description}"))
            continue
        for label, gap, reason in family.gaps():
            if family.prove_equal(diff, gap):
                bigger = "left − right" if big is left else "right − left"
                results.append(FamilyResult(family.name, "proved",
                                            f"{bigger} ≡ {label} ≥ 0 ({reason}) in the {family.description}"))
                break
        else:
            if found is not None:
                kind, point, k, bx, sx, bval, sval = found
                order = found if big is left else ("undefined", point, k, sx, bx, sval, bval)
                results.append(FamilyResult(family.name, "refuted", _describe(family, order, "left", "right")))
            else:
                results.append(FamilyResult(family.name, "undecided",
                                            "no counterexample at the test points, but the difference is "
                                            "not a known non-negative quantity"))
    return results


def combine(results: list[FamilyResult], relation: str) -> Outcome:
    """One verdict from the per-family results."""
    details = [f"[{r.family}] {r.status}: {r.note}" for r in results]
    refuted = [r for r in results if r.status == "refuted"]
    proved = [r for r in results if r.status == "proved"]
    undecided = [r for r in results if r.status == "undecided"]
    if refuted:
        return Outcome(REFUTED, f"counterexample: {refuted[0].note}", details)
    if proved and not undecided:
        names = " and ".join(f"{r.family}" for r in proved)
        skipped = [r for r in results if r.status == "n/a"]
        extra = f" ({', '.join(r.family for r in skipped)} family not applicable)" if skipped else ""
        method = "; ".join(sorted({_method(r.note) for r in proved}))
        return Outcome(VERIFIED, f"'{relation}' proved symbolically on the {names} famil"
                       f"{'ies' if len(proved) > 1 else 'y'}: {method}{extra}", details)
    if undecided:
        return Outcome(UNVERIFIED, f"could not decide: {undecided[0].note}", details)
    return Outcome(UNVERIFIED, "no model family interprets this row: " +
                   "; ".join(r.note for r in results), details, category="outside the model families")


def _method(note: str) -> str:
    return note.split(" in the ")[0]


# -- '≈' between objectives --------------------------------------------------------------------
def check_estimator(families: list[Family], left: n.Node, right: n.Node,
                    compare_maximisers: bool = True) -> Outcome:
    """An '≈' whose right side is a Monte Carlo estimate: E[right] ≡ left and the same maximiser
    (the maximisers are compared only when asked: a screening pass skips that cost)."""
    argmax = isinstance(left, n.Argmax) and isinstance(right, n.Argmax)
    if argmax and set(left.over) != set(right.over):
        return Outcome(REFUTED, f"the two sides maximise over different parameters: "
                       f"{left.over} vs {right.over}")
    lbody = left.body if argmax else left
    rbody = right.body if argmax else right
    details = []
    results = []
    random_any = False
    for family in families:
        sides = _evaluated(family, lbody, rbody, results)
        if sides is None:
            continue
        lv, rv, lrand, rrand = sides
        random_any = random_any or lrand or rrand
        lvals, rvals = _components(family, lv), _components(family, rv)
        found = _search(family, lvals, rvals, differs)
        if found is None and family.prove_equal(lv, rv):
            results.append(FamilyResult(family.name, "proved",
                                        f"E[right] − left ≡ 0 in the {family.description}"))
        elif found is not None and found[0] == "defined":
            results.append(FamilyResult(family.name, "refuted",
                                        _describe(family, found, "left", "E[right]")))
        else:
            results.append(FamilyResult(family.name, "undecided", "E[right] − left did not reduce to 0"))
    details += [f"[{r.family}] {r.status}: {r.note}" for r in results]
    what = ("the right side's expectation over the draws z^(l) ~ q" if random_any
            else "the right side")
    refuted = [r for r in results if r.status == "refuted"]
    proved = [r for r in results if r.status == "proved"]
    if refuted:
        maximiser = None
        if argmax and compare_maximisers:
            for family in families:
                if hasattr(family, "maximisers"):
                    try:
                        maximiser = family.maximisers(lbody, rbody, left.over)
                    except (NotApplicable, NotClosed, Divergent, ValueError) as exc:
                        details.append(f"[{family.name}] maximisers not compared: {exc}")
                    break
        if argmax and maximiser is not None and not maximiser[0]:
            details.append(maximiser[1])
            return Outcome(UNVERIFIED, f"{what} differs from the left side "
                           f"({refuted[0].note}), but the maximisers agree at the test point", details)
        if maximiser is not None:
            details.append(maximiser[1])
            return Outcome(REFUTED, f"estimator claim fails: {what} ≠ left side "
                           f"({refuted[0].note}); maximisers differ: {maximiser[2]}", details)
        return Outcome(REFUTED, f"estimator claim fails: {what} ≠ left side ({refuted[0].note})", details)
    if proved and len(proved) == len([r for r in results if r.status != "n/a"]):
        names = " and ".join(r.family for r in proved)
        tail = "; identical expected objectives have the same maximiser" if argmax else ""
        return Outcome(VERIFIED, f"unbiased: {what} ≡ left side on the {names} "
                       f"famil{'ies' if len(proved) > 1 else 'y'}{tail}", details)
    return Outcome(UNVERIFIED, "could not decide the estimator claim: " +
                   "; ".join(f"{r.family}: {r.note}" for r in results), details)
