"""Every gate option's command-line flag, stated once: `elbo-suite check` builds its options from
this table, and a test holds it against the Python signatures (every option has a flag). It
imports nothing heavy, so building the command line never imports torch.

Each flag names the Python option it sets and the gate kinds (--kl, --elbo, --iwae, --gradient,
--loss, --diffusion) it applies to. A flag given without any function of a kind it applies to is a usage
error, never silently ignored.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KINDS = ("kl", "elbo", "iwae", "gradient", "loss", "diffusion")
ALL = KINDS


def _int_at_least(lowest: int, expected: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if value < lowest:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _int_at_least(1, "a positive integer", text)


def non_negative_int(text: str) -> int:
    return _int_at_least(0, "an integer ≥ 0", text)


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def int_tuple(text: str) -> tuple[int, ...]:
    """'784' or '1,28,28' -> (784,) or (1, 28, 28)."""
    try:
        values = tuple(int(part) for part in text.replace("x", ",").split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, e.g. 1,28,28, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, e.g. 1,28,28, got {text!r}")
    return values


def name_tuple(text: str) -> tuple[str, ...]:
    """'recon_x,x,mu,logvar' -> ('recon_x', 'x', 'mu', 'logvar')."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def roles(text: str) -> tuple[str, ...] | dict[str, str]:
    """Parameters' roles: in order, 'recon_x,x,mu,logvar' -> a tuple (--loss), or by name,
    'clean=x_start,abar=alphas_cumprod' -> {'clean': 'x_start', 'abar': 'alphas_cumprod'} (--diffusion)."""
    parts = name_tuple(text)
    if not any("=" in part for part in parts):
        return parts
    pairs = [tuple(p.strip() for p in part.split("=")) for part in parts]
    if not pairs or any(len(pair) != 2 or not all(pair) for pair in pairs):
        raise argparse.ArgumentTypeError(
            f"expected roles in order (recon_x,x,mu,logvar) or name=meaning pairs (clean=x_start,abar=alphas_cumprod), "
            f"got {text!r}"
        )
    return dict(pairs)


def boolean(text: str) -> bool:
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    if text.strip().lower() not in words:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return words[text.strip().lower()]


@dataclass(frozen=True)
class Flag:
    flag: str  # '--q-family'
    option: str  # the Python option it sets: 'q_family'
    kinds: tuple[str, ...]  # the gate kinds it applies to
    help: str
    type: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


FLAGS: tuple[Flag, ...] = (
    # what the function is
    Flag("--style", "style", ("loss",), "for --loss: the style your function is written in (default: read "
         "from its parameter names)", choices=("vae_loss", "distributions", "iwae", "kl", "elbo", "gradient")),
    Flag("--kl-convention", "convention", ("kl", "loss"), "how your KL function takes its arguments (default mean_logvar)",
         choices=("mean_logvar", "mean_std", "mean_scale_tril", "distributions")),
    Flag("--covariance", "covariance", ("kl", "loss"), "for --kl: the Gaussians' covariance (default diagonal)",
         choices=("diagonal", "full")),
    Flag("--against", "against", ("kl", "loss"), "for --kl: KL(q || N(0, I)) (default) or KL(q || p) between two Gaussians",
         choices=("standard_normal", "gaussian")),
    Flag("--estimator", "kind", ("elbo", "loss"), "for --elbo: plain Monte Carlo ELBO (default) or MC reconstruction "
         "minus closed-form KL; for --loss (distributions style): elbo or iwae",
         choices=("elbo", "elbo_analytic_kl", "iwae")),
    Flag("--likelihood", "likelihood", ("loss",), "for --loss: the decoder likelihood (vae_loss: what recon_x is; "
         "distributions: the decoder)", choices=("bernoulli", "bernoulli_logits", "continuous_bernoulli", "gaussian")),
    Flag("--arguments", "arguments", ("loss", "diffusion"), "the roles of your parameters when their names do not "
         "say: for --loss in order, comma-separated (e.g. recon_x,x,mu,logvar); for --diffusion by name "
         "(e.g. clean=x_start,abar=alphas_cumprod)", type=roles, metavar="ROLES"),
    Flag("--events", "events", ("loss",), "for --loss (distributions style): Independent distributions (default) or "
         "factorised ones your code sums", choices=("independent", "factorised")),
    Flag("--layout", "layout", ("loss",), "for --loss (iwae style): (K, B) tensors (default) or (B, K)", choices=("KB", "BK")),
    Flag("--data-shape", "data_shape", ("loss",), "for --loss (vae_loss style): the shape of one data point your "
         "loss expects, e.g. 784 or 1,28,28", type=int_tuple, metavar="SHAPE"),
    # what it returns
    Flag("--reduction", "reduction", ("kl", "elbo", "iwae", "loss"), "your function returns one value per data point "
         "(none) or reduces over the batch (mean, sum; batchmean = mean for --loss)",
         choices=("none", "mean", "sum", "batchmean")),
    Flag("--returns", "returns", ("elbo", "iwae", "loss"), "your function returns the bound (elbo) or the loss "
         "(negative_elbo)", choices=("elbo", "negative_elbo")),
    Flag("--sigma", "sigma", ("loss",), "for --loss (vae_loss style, Gaussian): the decoder standard deviation you mean",
         type=number),
    Flag("--beta", "beta", ("loss",), "for --loss: the KL weight you mean (default 1, or your function's beta= default)",
         type=number),
    # sizes
    Flag("--particles", "num_particles", ("iwae", "gradient", "loss"), "K, the number of importance samples (default 5)",
         type=positive_int),
    Flag("--num-samples", "num_samples", ("elbo", "loss"), "for --elbo: L, the draws per data point on injected noise (default 3)",
         type=positive_int),
    Flag("--num-draws", "num_draws", ("gradient", "loss"), "for --gradient: N, the per-draw gradient rows (default 20000)",
         type=positive_int),
    Flag("--group-size", "group_size", ("gradient", "loss"), "for --gradient: draws per group for leave-one-out baselines",
         type=positive_int),
    Flag("--replicates", "replicates", ("elbo", "iwae", "loss"), "independent calls for the statistical claims "
         "(default 1000; 400 for --loss)", type=positive_int),
    # how it is called
    Flag("--noise", "noise", ("elbo", "iwae", "loss"), "for --elbo/--iwae: your function takes injected noise eps (default; "
         "exact check) or a generator", choices=("injected", "generator")),
    Flag("--q-family", "q_family", ("elbo", "iwae", "loss"), "for --elbo/--iwae: which Gaussian q to test with",
         choices=("both", "diagonal", "full")),
    Flag("--parameterisation", "parameterisation", ("gradient", "loss"), "for --gradient: q's parameters, mean and log-std, "
         "mean and Cholesky factor, or both (default)", choices=("both", "mean_log_std", "mean_cholesky")),
    Flag("--objective", "objective", ("gradient", "loss"), "for --gradient: what it estimates the gradient of",
         choices=("elbo", "iwae")),
    Flag("--same-as", "same_as", ("gradient", "loss"), "for --gradient: also compare every row exactly with this suite "
         "estimator (e.g. pathwise)", metavar="NAME"),
    Flag("--gradient-check", "gradient", ("elbo", "iwae", "loss"), "same_draw (default) compares your gradient with "
         "the reference's on the same draw; none skips it (a surrogate such as DReG)", choices=("same_draw", "none")),
    # diffusion (elbo_suite.gate.diffusion)
    Flag("--role", "role", ("diffusion",), "for --diffusion: what your function computes, when its name does not say"),
    Flag("--betas", "betas", ("diffusion",), "for --diffusion: your function's own β table, when it takes no schedule "
         "table and is no method of an object with betas: 'package.module:name' or 'path/to/file.py:name'",
         metavar="SPEC"),
    Flag("--prediction", "prediction", ("diffusion",), "for --diffusion: what the network predicts",
         choices=("epsilon", "sample", "v_prediction")),
    Flag("--variance", "variance", ("diffusion",), "for --diffusion: the reverse-step variance (default fixed_small, "
         "the posterior variance)", choices=("fixed_small", "fixed_large", "learned_range", "learned")),
    Flag("--clip", "clip", ("diffusion",), "for --diffusion: your step clips x0 to [-R, R] on its own", type=number,
         metavar="R"),
    Flag("--eps-from-clipped", "eps_from_clipped", ("diffusion",), "for --diffusion: your DDIM step, when it takes "
         "no such flag, recomputes eps from the clipped x0 (true) or keeps the network's (false); default true for a "
         "step that calls a model",
         type=boolean, metavar="BOOL"),
    Flag("--eta", "eta", ("diffusion",), "for --diffusion: the DDIM eta to check (default 0, 0.6 and 1)", type=number),
    Flag("--cdf", "cdf", ("diffusion",), "for --diffusion: the normal CDF of a discretized decoder (tanh: "
         "improved-diffusion's)", choices=("exact", "tanh")),
    Flag("--units", "units", ("diffusion",), "for --diffusion: a VLB term summed in nats or averaged in bits/dim",
         choices=("nats", "bits_per_dim")),
    # evidence
    Flag("--seed", "seed", ALL, "seed of the gate's inputs (default 0)", type=non_negative_int),
    Flag("--rtol", "rtol", ("kl", "elbo", "iwae", "gradient", "loss"), "relative tolerance of the exact comparisons",
         type=number),
    Flag("--atol", "atol", ("kl", "elbo", "iwae", "gradient", "loss"), "absolute tolerance of the exact comparisons",
         type=number),
    Flag("--alpha", "alpha", ("elbo", "iwae", "gradient", "loss"), "false-alarm rate of each statistical claim "
         "(default 1e-6)", type=number),
    Flag("--safety", "safety", ("diffusion",), "for --diffusion: how many times its rounding-error bound an element "
         "may be off (default 4)", type=number),
)


def add_flags(parser: argparse.ArgumentParser) -> None:
    for flag in FLAGS:
        kwargs: dict[str, Any] = {"help": flag.help, "dest": flag.dest}
        if flag.type is not None:
            kwargs["type"] = flag.type
        if flag.choices is not None:
            kwargs["choices"] = list(flag.choices)
        if flag.metavar is not None:
            kwargs["metavar"] = flag.metavar
        parser.add_argument(flag.flag, **kwargs)


def given(args: argparse.Namespace) -> list[Flag]:
    return [flag for flag in FLAGS if getattr(args, flag.dest, None) is not None]


def options_for(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    return {flag.option: getattr(args, flag.dest) for flag in given(args) if kind in flag.kinds}


def stray(kinds: list[str], args: argparse.Namespace) -> list[Flag]:
    """Flags given that apply to none of the functions given."""
    return [flag for flag in given(args) if not set(flag.kinds) & set(kinds)]


def applies_to(flag: Flag) -> str:
    return ", ".join(f"--{k}" for k in flag.kinds)
