"""Reading a user's function signature: what each positional parameter is, and which style the
function is written in.

A parameter's role comes from its name, the way people name them: `recon_x`, `x_hat`, `mu`,
`log_var`, `z_log_var`, `std`, `log_p_x_given_z`, `encoder`, ... (exact names first, then the
patterns below). Only parameters without a default are the gate's to fill; keyword parameters
with a default are left alone, except that a KL weight default (`beta=4.0`, `kl_weight=...`) is
read as the β the user declares.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from elbo_suite.gate.errors import GateInputError

# role -> exact names (lower case, leading/trailing underscores stripped)
VAE_LOSS_NAMES: dict[str, tuple[str, ...]] = {
    "recon_x": ("recon_x", "x_recon", "recon", "recons", "reconstruction", "reconstructions", "x_hat", "xhat",
                "x_rec", "x_reconst", "x_reconstructed", "recon_batch", "x_tilde", "output", "outputs", "out",
                "pred", "preds", "prediction", "predictions", "logits", "x_logits", "recon_logits", "x_mean",
                "decoded", "x_prime", "y_pred", "x_pred", "px_logits", "probs", "x_probs", "dec_out",
                "decoder_output", "reconstructed", "generated", "x_gen", "mean_x", "x_mu", "mu_x"),
    "x": ("x", "data", "input", "inputs", "target", "targets", "x_true", "y", "y_true", "batch", "images",
          "image", "img", "imgs", "orig", "original", "x_in", "real", "x_batch", "obs", "observations",
          "ground_truth", "gt", "sample", "samples"),
    "mu": ("mu", "mean", "means", "z_mu", "mu_z", "z_mean", "mean_z", "loc", "q_mu", "mu_q", "latent_mean",
           "mu_latent", "qz_mu", "enc_mu", "m", "posterior_mean", "q_mean", "z_loc"),
    "logvar": ("logvar", "log_var", "z_logvar", "z_log_var", "logvar_z", "log_var_z", "log_sigma2",
               "logsigma2", "log_sigma_sq", "log_sigma_squared", "log_variance", "lv", "q_logvar",
               "logvar_q", "log_var_q", "latent_logvar", "qz_logvar", "enc_logvar", "posterior_logvar"),
    "log_std": ("log_std", "logstd", "log_sigma", "logsigma", "z_log_std", "z_log_sigma", "log_scale",
                "logscale", "log_stddev", "q_log_std", "z_logstd"),
    "std": ("std", "sigma", "z_std", "z_sigma", "scale", "stddev", "std_z", "sigma_z", "q_std", "q_sigma",
            "z_scale", "posterior_std"),
    "var": ("var", "variance", "sigma2", "sigma_sq", "sigma_squared", "z_var", "var_z", "q_var"),
}
Q_ROLES = ("logvar", "log_std", "std", "var")  # how the user passes q's spread
PYTORCH_EXAMPLE_ORDER = ("recon_x", "x", "mu", "logvar")

IWAE_NAMES: dict[str, tuple[str, ...]] = {
    "log_q": ("log_q_z_given_x", "log_qz_x", "log_q", "log_qz", "log_q_z", "logqz", "log_posterior",
              "log_qzx", "log_q_zx", "lqzx", "log_q_zgx", "logq", "log_qz_given_x", "log_prob_q",
              "q_log_prob", "log_q_z_x", "log_guide", "log_encoder"),
    "log_likelihood": ("log_p_x_given_z", "log_px_z", "log_px_given_z", "log_likelihood", "log_lik", "ll",
                       "loglik", "recon_log_prob", "log_p_x", "logpx", "log_px", "lpxz", "log_p_xgz",
                       "log_p_x_z", "log_pxgz", "log_decoder", "log_p_x_g_z"),
    "log_prior": ("log_p_z", "log_pz", "log_prior", "logpz", "prior_log_prob", "lpz"),
    "log_joint": ("log_p_xz", "log_joint", "log_p", "log_pxz", "logp", "log_p_x_and_z", "log_joint_prob"),
    "log_weights": ("log_w", "log_weights", "logw", "log_iw", "log_ws", "lw", "log_importance_weights",
                    "log_weight", "log_ratio", "log_ratios", "log_iw_weights"),
    "num_particles": ("k", "num_samples", "n_samples", "num_particles", "n_particles", "num_importance",
                      "n_importance", "samples", "importance_samples"),
}
DISTRIBUTION_NAMES: dict[str, tuple[str, ...]] = {
    "x": VAE_LOSS_NAMES["x"],
    "encoder": ("encoder", "enc", "q", "guide", "inference_net", "inference_network", "posterior",
                "q_net", "recognition", "recognition_model", "q_z", "qz", "q_phi", "variational"),
    "decoder": ("decoder", "dec", "generative", "generative_model", "likelihood", "generator", "p_x",
                "px", "p_theta", "p_x_given_z", "observation_model"),
    "prior": ("prior", "p_z", "pz", "prior_dist", "prior_distribution", "latent_prior", "p"),
}

# Patterns tried when no exact name matches, in this order.
_PATTERNS: dict[str, tuple[tuple[str, str], ...]] = {
    "vae_loss": (
        (r"log_?var|log_?sigma_?(2|sq)", "logvar"), (r"log_?(std|sigma|scale)", "log_std"),
        (r"recon|hat|rec$|_rec_|pred|logit|decod|output", "recon_x"), (r"(^|_)(mu|mean|loc)($|_)", "mu"),
        (r"(^|_)(std|sigma|scale)($|_)", "std"), (r"(^|_)var($|_)", "var"),
        (r"^(x|input|target|data|image|img)", "x"),
    ),
    "iwae": (
        (r"q", "log_q"), (r"prior|p_?z$", "log_prior"), (r"joint|p_?xz$", "log_joint"),
        (r"(^|_)(lw|w|weights?)$|log_?i?w", "log_weights"), (r"lik|p_?x", "log_likelihood"),
    ),
    "distributions": (
        (r"enc|guide|posterior|q", "encoder"), (r"dec|gen|lik", "decoder"), (r"prior", "prior"),
        (r"^(x|input|data|batch|image)", "x"),
    ),
}
_NAMES = {"vae_loss": VAE_LOSS_NAMES, "iwae": IWAE_NAMES, "distributions": DISTRIBUTION_NAMES}

BETA_NAMES = ("beta", "kl_weight", "kld_weight", "kl_beta", "beta_kl", "kl_scale", "kl_coef", "kl_coeff")


@dataclass(frozen=True)
class Signature:
    name: str  # the function's name, for messages
    positional: tuple[str, ...]  # parameters the gate must fill (no default)
    defaults: dict[str, Any]  # keyword parameters with their defaults
    var_positional: bool  # *args
    text: str  # 'loss_function(recon_x, x, mu, logvar)'


def read_signature(fn: Callable[..., Any]) -> Signature | None:
    """None for a callable whose signature Python cannot read (some builtins)."""
    target = fn
    forward = getattr(fn, "forward", None)
    if forward is not None and type(fn).__call__ is not getattr(type(fn), "forward", None) and _is_module(fn):
        target = forward  # an nn.Module: its __call__ takes *args; forward names the parameters
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    positional, defaults, var_positional = [], {}, False
    for parameter in signature.parameters.values():
        if parameter.kind == parameter.VAR_POSITIONAL:
            var_positional = True
        elif parameter.kind == parameter.VAR_KEYWORD:
            continue
        elif parameter.default is parameter.empty and parameter.kind != parameter.KEYWORD_ONLY:
            positional.append(parameter.name)
        elif parameter.default is not parameter.empty:
            defaults[parameter.name] = parameter.default
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    name = name.rsplit("<locals>.", 1)[-1]
    return Signature(name, tuple(positional), defaults, var_positional, f"{name}{signature}")


def _is_module(fn: object) -> bool:
    try:
        from torch import nn
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return isinstance(fn, nn.Module)


def _normal(name: str) -> str:
    return name.strip("_").lower()


def role_of(name: str, style: str) -> str | None:
    normal = _normal(name)
    for role, names in _NAMES[style].items():
        if normal in names:
            return role
    for pattern, role in _PATTERNS[style]:
        if re.search(pattern, normal):
            return role
    return None


def roles_of(signature: Signature, style: str) -> tuple[str | None, ...]:
    return tuple(role_of(name, style) for name in signature.positional)


def declared_beta(signature: Signature | None) -> tuple[float, str] | None:
    """A KL-weight keyword default in the signature, e.g. `beta=4.0`: (value, parameter name)."""
    if signature is None:
        return None
    for name, value in signature.defaults.items():
        if _normal(name) in BETA_NAMES and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value), name
    return None


def declared_returns(signature: Signature | None, default: str) -> str:
    """What the function's name says it returns: 'negative_elbo' for a loss, 'elbo' for the bound;
    `default` (the style's habit) when the name says neither."""
    if signature is None:
        return default
    name = signature.name.rsplit(".", 1)[-1].lower()
    if re.search(r"loss|nll|neg|nelbo|objective|cost|criterion", name):
        return "negative_elbo"
    if re.search(r"elbo|bound|iwae|log_?lik|evidence", name):
        return "elbo"
    return default


# ---------------------------------------------------------------------------------------------
# styles
# ---------------------------------------------------------------------------------------------
STYLE_SIGNATURES: dict[str, str] = {
    "vae_loss": "loss(recon_x, x, mu, logvar | log_var | log_std | std | var) -> loss (or (loss, *parts) or a dict)",
    "distributions": "elbo(x, encoder, decoder, prior) -> ELBO, with torch.distributions from encoder(x), decoder(z)",
    "iwae": "loss(log_p_x_given_z, log_p_z, log_q_z_given_x) or loss(log_p_xz, log_q) or loss(log_w), (K, B) each",
    "kl": "kl(mu, logvar) or kl(mu_q, logvar_q, mu_p, logvar_p) or kl(q, p) with torch.distributions",
    "elbo": "elbo(model, q, x, eps) or elbo(model, q, x, generator), on the gate's exact model",
    "gradient": "grad(log_joint, q, eps) -> (N, P) per-draw gradients",
}
ADAPTER = (
    "def adapted(recon_x, x, mu, logvar): return your_fn(...)  # call yours with what it needs"
)


def infer_style(signature: Signature) -> str | None:
    names = [_normal(n) for n in signature.positional]
    if len(names) == 4 and names[:3] == ["model", "q", "x"]:
        return "elbo"
    if len(names) == 3 and names[1:] == ["q", "eps"]:
        return "gradient"
    distribution_roles = roles_of(signature, "distributions")
    if {"encoder", "decoder"} <= set(distribution_roles) and len(names) in (3, 4):
        return "distributions"
    vae_roles = roles_of(signature, "vae_loss")
    if len(names) == 4 and _vae_roles_complete(vae_roles):
        return "vae_loss"
    if 1 <= len(names) <= 4 and all(n.startswith("log") or n in ("lw", "lpxz", "lpz", "lqzx", "ll") or
                                    role_of(n, "iwae") == "num_particles" for n in names):
        if _iwae_roles(roles_of(signature, "iwae")) is not None:
            return "iwae"
    if len(names) in (1, 2, 4) and all(
        role_of(n, "vae_loss") in ("mu", *Q_ROLES) or n in ("q", "p") or is_scale_tril(n) for n in names
    ):
        return "kl"
    return None


def is_scale_tril(name: str) -> bool:
    """A Cholesky factor's name: L, L_q, scale_tril, chol, cholesky, tril, ..."""
    return bool(re.fullmatch(r"(l|scale_?tril|chol(esky)?|tril|l_?chol)(_?[qp])?|[qp]_?(l|scale_?tril|chol)", _normal(name)))


def _vae_roles_complete(roles: tuple[str | None, ...]) -> bool:
    return (
        roles.count("recon_x") == 1 and roles.count("x") == 1 and roles.count("mu") == 1
        and sum(roles.count(r) for r in Q_ROLES) == 1
    )


def _iwae_roles(roles: tuple[str | None, ...]) -> tuple[str, ...] | None:
    tensors = [r for r in roles if r != "num_particles"]
    if roles.count("num_particles") > 1:
        return None
    if len(tensors) == 1:
        return tuple("log_weights" if r != "num_particles" else r for r in roles)  # type: ignore[misc]
    if len(tensors) == 2:
        q_first = tensors[0] == "log_q" and tensors[1] != "log_q"
        order = iter(("log_q", "log_joint") if q_first else ("log_joint", "log_q"))
        return tuple(r if r == "num_particles" else next(order) for r in roles)  # type: ignore[misc]
    if len(tensors) == 3:
        # Only q's position matters for the value: log p(x|z) and log p(z) enter as a sum.
        q_index = tensors.index("log_q") if tensors.count("log_q") == 1 else 2
        p_roles = iter(("log_likelihood", "log_prior"))
        named = ["log_q" if i == q_index else next(p_roles) for i in range(3)]
        order = iter(named)
        return tuple(r if r == "num_particles" else next(order) for r in roles)  # type: ignore[misc]
    return None


def iwae_roles(signature: Signature) -> tuple[str, ...] | None:
    return _iwae_roles(roles_of(signature, "iwae"))


def vae_loss_roles(signature: Signature) -> tuple[tuple[str, ...], bool]:
    """Roles of the four parameters, and whether they were read from the names (False: the
    PyTorch-example order was assumed)."""
    roles = roles_of(signature, "vae_loss")
    if _vae_roles_complete(roles):
        return tuple(r for r in roles if r is not None), True
    if len(signature.positional) == 4:
        return PYTORCH_EXAMPLE_ORDER, False
    raise unsupported(signature, "vae_loss")


def distribution_roles(signature: Signature) -> tuple[str, ...]:
    roles = roles_of(signature, "distributions")
    if len(roles) == 4 and sorted(r or "" for r in roles) == sorted(("x", "encoder", "decoder", "prior")):
        return tuple(r for r in roles if r is not None)
    if len(roles) == 4 and {"encoder", "decoder"} <= set(roles):
        rest = iter(r for r in ("x", "prior") if r not in roles)
        return tuple(r if r in ("encoder", "decoder") and roles.count(r) == 1 else next(rest) for r in roles)
    if len(roles) == 4:
        return ("x", "encoder", "decoder", "prior")
    raise unsupported(signature, "distributions")


def unsupported(signature: Signature | None, style: str | None = None) -> GateInputError:
    """The one error for a signature the gate cannot read: what is supported, and the adapter."""
    text = signature.text if signature is not None else "this callable"
    head = (
        f"cannot call {text} in the {style!r} style" if style is not None
        else f"cannot tell which style {text} is written in"
    )
    supported = "; ".join(f"{name}: {form}" for name, form in STYLE_SIGNATURES.items())
    return GateInputError(
        f"{head}; supported (parameters read by name, extra ones need a default): {supported}. "
        f"Name the style with style='...' (--style), give the parameter roles with arguments=(...) "
        f"(--arguments), or wrap your function: {ADAPTER}"
    )
