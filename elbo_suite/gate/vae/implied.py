"""Which objective does a loss really optimise? An exact affine fit, and its reading in plain words.

On the same draws the gate knows the two terms of the negative ELBO exactly: the reconstruction
term R = −log p(x | z) (for a Gaussian decoder its σ-free form R = ½‖x − μ(z)‖²) and the KL term
K = KL(q‖p(z)). A loss y is checked to be, on every draw, data set and parameter setting,

    y = α R + γ K + c        (least squares over all of them; exact: the residual is rounding)

which is a · (−ELBO_{σ, β}) + c with
- a likelihood without a free scale (Bernoulli, continuous Bernoulli):  a = α,  β = γ / α;
- a Gaussian decoder, −ELBO_{σ,β} = R/σ² + β K + const:  α = a/σ², γ = a β, so
  at β = 1 (or the β declared) σ² = γ / (α β), and at a declared σ, β = γ / (α σ²).
A loss that is no such function leaves a residual; a > 0 is required of a loss (a < 0 is a sign
error). The numbers are also named in terms of the batch size B, the data dimension d and the
latent dimension k when they are simple powers of them (σ² = B·d/2 for an MSE averaged over the
batch and the pixels beside a KL summed over the batch).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from fractions import Fraction

import torch
from torch import Tensor


@dataclass(frozen=True)
class AffineFit:
    alpha: float  # weight of the reconstruction term R
    gamma: float  # weight of the KL term K
    constant: float  # c
    residual: float  # largest |y − (α R + γ K + c)|
    tolerance: float  # allowed at that observation: atol + rtol · (size of the terms there)
    worst: int  # the observation with the largest residual / tolerance
    fitted: Tensor  # α R + γ K + c at every observation
    observations: int

    @property
    def affine(self) -> bool:
        return self.residual <= self.tolerance


def fit_affine(y: Tensor, recon: Tensor, kl: Tensor, *, rtol: float, atol: float) -> AffineFit:
    """Least-squares y ≈ α R + γ K + c over n observations (all (n,)), columns scaled first."""
    y, recon, kl = (t.detach().to(torch.float64).reshape(-1) for t in (y, recon, kl))
    design = torch.stack([recon, kl, torch.ones_like(recon)], dim=1)  # (n, 3)
    scale = design.abs().amax(0).clamp_min(1e-300)
    solution = torch.linalg.lstsq(design / scale, y.unsqueeze(1), driver="gelsd").solution.squeeze(1) / scale
    alpha, gamma, constant = (float(v) for v in solution)
    fitted = design @ solution
    residuals = (y - fitted).abs()
    size = y.abs() + (alpha * recon).abs() + (gamma * kl).abs() + abs(constant)
    tolerances = atol + rtol * size
    ratio = torch.where(torch.isnan(residuals), torch.full_like(residuals, math.inf), residuals / tolerances)
    worst = int(ratio.argmax())
    return AffineFit(alpha, gamma, constant, float(residuals[worst]), float(tolerances[worst]), worst, fitted,
                     y.numel())


# ---------------------------------------------------------------------------------------------
# naming numbers after B, d, k
# ---------------------------------------------------------------------------------------------
def coprime_sizes(data_dim: int) -> tuple[int, int]:
    """A batch size B and latent dimension k, primes not dividing d nor each other, so that every
    product 2^m B^i d^j k^l names one number."""
    primes = (3, 5, 7, 11, 13, 17)
    batch = next(p for p in primes if data_dim % p)
    latent = next(p for p in primes[1:] if data_dim % p and p != batch)
    return batch, latent


def name_after_sizes(value: float, sizes: dict[str, int]) -> str | None:
    """'B·d/2' when value = 2^m · Π size^e exactly (|e| ≤ 2, |m| ≤ 2), the simplest such; else None."""
    if not math.isfinite(value) or value <= 0:
        return None
    names = list(sizes)
    best: tuple[int, str] | None = None
    for exponents in itertools.product(range(-2, 3), repeat=len(names)):
        for m in range(-2, 3):
            candidate = 2.0**m * math.prod(sizes[n] ** e for n, e in zip(names, exponents))
            if abs(candidate - value) <= 1e-9 * value:
                complexity = sum(abs(e) for e in exponents) + abs(m)
                if best is None or complexity < best[0]:
                    best = (complexity, _monomial(dict(zip(names, exponents)), m))
    return None if best is None else best[1]


def _monomial(exponents: dict[str, int], two: int) -> str:
    top = [n if e == 1 else f"{n}²" for n, e in exponents.items() if e > 0]
    bottom = [n if e == -1 else f"{n}²" for n, e in exponents.items() if e < 0]
    numerator = "·".join(([str(2**two)] if two > 0 else []) + top) or "1"
    denominators = ([str(2**-two)] if two < 0 else []) + bottom
    if not denominators:
        return numerator
    denominator = denominators[0] if len(denominators) == 1 else "(" + "·".join(denominators) + ")"
    return f"{numerator}/{denominator}"


def number(value: float, sizes: dict[str, int]) -> str:
    """'10.5 (= B·d/2)', '1', '0.333333 (= 1/B)', '2352 (= B·d)', '-1'."""
    if value == 0:
        return "0"
    simple = Fraction(value).limit_denominator(8)
    small = abs(float(simple) - value) <= 1e-9 * abs(value) and abs(simple) <= 8
    if small and simple.denominator == 1:
        return str(simple.numerator)
    text = f"{value:.6g}"
    named = name_after_sizes(abs(value), sizes)
    if named is not None and any(n in named for n in sizes):
        return f"{text} (= {'−' if value < 0 else ''}{named})"
    if small:
        return f"{simple.numerator}/{simple.denominator}"
    return text


def snapped(value: float) -> float:
    """A fitted number that is a simple fraction to rounding (1/2352, 10.5) becomes that fraction,
    so rounding noise never reaches what is printed or stored."""
    if not math.isfinite(value) or value == 0:
        return value
    simple = Fraction(value).limit_denominator(100_000)
    return float(simple) if abs(float(simple) - value) <= 1e-9 * abs(value) else value


def constant_text(value: float, tolerance: float) -> str:
    """c, or 0 when it is below the fit's rounding tolerance (rounding noise is never printed)."""
    return "0" if abs(value) <= tolerance else f"{value:.6g}"


def signed_term(value_text: str) -> str:
    return f"− {value_text[1:]}" if value_text.startswith("-") else f"+ {value_text}"


# ---------------------------------------------------------------------------------------------
# the reading
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImpliedObjective:
    scale: float  # a
    constant: float  # c
    beta: float | None  # the KL weight β (at the σ declared, or at β declared: then None is never)
    sigma2: float | None  # the decoder variance σ² (Gaussian only)
    problems: tuple[str, ...]  # why this is not the objective declared; empty when it is
    words: str  # the plain-words reading

    @property
    def as_declared(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["as_declared"] = self.as_declared
        return data


def read_objective(
    fit: AffineFit,
    *,
    has_scale: bool,
    beta: float,
    beta_declared: bool,
    sigma: float | None,
    scale: float | None,
    scale_text: str,
    sizes: dict[str, int],
    quantity: str,
    likelihood_text: str,
    elements: int,
) -> ImpliedObjective:
    """Interpret y = α R + γ K + c as a · (−ELBO_{σ, β}) + c (see the module docstring).

    `beta` is the KL weight the user declared (1 unless declared: the ELBO itself); `sigma` the
    decoder σ declared, or None; `scale` the factor a the declared reduction implies, or None;
    `quantity` is 'loss' or 'ELBO' (then y was negated before the fit); `elements` the number
    of data elements per observation (the Gaussian's ½ log 2πσ² per element moves into c).
    """
    alpha, gamma = fit.alpha, fit.gamma
    n = lambda v: number(v, sizes)  # noqa: E731
    c = signed_term(constant_text(fit.constant, fit.tolerance))
    problems: list[str] = []
    close = lambda u, v: abs(u - v) <= 1e-6 * max(abs(u), abs(v)) + 1e-12  # noqa: E731
    sign_word = "loss" if quantity == "loss" else "negated value"
    if alpha <= 0:
        what = "no reconstruction term" if abs(alpha) <= 1e-12 * (abs(gamma) + 1.0) else (
            f"the reconstruction term with weight {n(alpha)} < 0"
        )
        if alpha < 0 and gamma < 0 and quantity == "loss":
            problems.append(
                f"your loss is {n(alpha)}·(−log p(x|z)) {signed_term(n(gamma))}·KL: it is the ELBO, not its "
                f"negative — minimising it un-fits the data (a sign error; if you maximise it, pass returns='elbo')"
            )
        else:
            problems.append(f"your {sign_word} has {what}: minimising it does not fit the data (a sign error?)")
        words = f"your {quantity} = {n(alpha)}·R {signed_term(n(gamma))}·KL {c}, R = −log p(x|z) ({likelihood_text})"
        return ImpliedObjective(alpha, fit.constant, None, None, tuple(problems), words)
    sigma2: float | None = None
    if not has_scale:
        a, implied_beta = alpha, gamma / alpha
    elif sigma is not None:
        a = alpha * sigma**2
        implied_beta = gamma / a
        sigma2 = sigma**2
    else:
        implied_beta = beta
        if gamma <= 0:
            a = float("nan")
        else:
            a = gamma / beta
            sigma2 = a / alpha
    if has_scale and sigma is None and gamma <= 0:
        problems.append(
            f"your {sign_word} weights KL(q‖p(z)) by {n(gamma)}: " + (
                "there is no KL term (an autoencoder, not a VAE)" if abs(gamma) <= 1e-12 * alpha
                else "the KL term enters with the wrong sign"
            )
        )
        words = f"your {quantity} = {n(alpha)}·½‖x − recon_x‖² {signed_term(n(gamma))}·KL {c}"
        return ImpliedObjective(alpha, fit.constant, None, None, tuple(problems), words)
    constant = fit.constant
    if has_scale and sigma2 is not None:
        constant -= a * 0.5 * elements * math.log(2.0 * math.pi * sigma2)
    if abs(constant) <= fit.tolerance:
        constant = 0.0
    c = signed_term(constant_text(constant, fit.tolerance))
    if not close(implied_beta, beta):
        if implied_beta < 0:
            problems.append(f"the KL term enters with the wrong sign (β = {n(implied_beta)})")
        elif abs(implied_beta) <= 1e-12:
            problems.append("there is no KL term (β = 0: an autoencoder, not a VAE)")
        else:
            where = f" at the σ = {sigma:g} you declared" if sigma is not None else ""
            declared = "you declared" if beta_declared else "the ELBO has"
            weights = (
                f"reconstruction term × {n(alpha)}, KL term × {n(gamma)}" if not has_scale
                else f"½‖x − recon_x‖² × {n(alpha)}, KL term × {n(gamma)}"
            )
            problems.append(
                f"the KL term is weighted β = {n(implied_beta)}{where} — {weights}; {declared} β = {beta:g}"
            )
    if scale is not None and not close(a, scale):
        problems.append(f"the scale is a = {n(a)}, not {n(scale)} as reduction={scale_text!r} implies")
    if has_scale:
        at = f"σ² = {n(sigma2)} at β = {n(implied_beta)}" if sigma2 is not None else f"β = {n(implied_beta)}"
        reading = f"the negative ELBO of a Gaussian decoder with {at}"
        if sigma is None and sigma2 is not None:
            unit_beta = gamma / alpha  # β at σ = 1
            reading += f" (equivalently, at σ = 1, a KL weight β = {n(unit_beta)})"
    else:
        reading = f"the negative ELBO with a {likelihood_text} likelihood and KL weight β = {n(implied_beta)}"
    if quantity == "loss":
        words = f"your loss = {n(a)}·(−ELBO) {c}: {reading}"
    else:
        words = f"your value = {n(a)}·ELBO {signed_term(constant_text(-constant, fit.tolerance))}: " + reading.replace(
            "the negative ELBO", "the ELBO")
    return ImpliedObjective(snapped(a), constant, snapped(implied_beta), None if sigma2 is None else snapped(sigma2),
                            tuple(problems), words)
