"""One entry for a user's function in any supported style: `check_loss(fn, style=None)`.

The style is named (style="vae_loss", ...) or read from the signature (`vae.signatures`):

| style           | the function, as users write it                              | check                      |
|-----------------|--------------------------------------------------------------|----------------------------|
| "vae_loss"      | loss_function(recon_x, x, mu, logvar) -> loss                | vae.check_vae_loss         |
| "distributions" | elbo(x, encoder, decoder, prior) over torch.distributions    | vae.check_distributions_elbo |
| "iwae"          | iwae_loss(log_p_x_given_z, log_p_z, log_q_z_given_x), (K, B) | vae.check_iwae_loss        |
| "kl"            | kl(mu, logvar), kl(mu_q, std_q, mu_p, std_p), kl(q, p)       | check_kl                   |
| "elbo"          | elbo(model, q, x, eps) on the gate's exact model             | check_elbo_estimator       |
| "gradient"      | grad(log_joint, q, eps) -> (N, P) per-draw gradients         | check_gradient_estimator   |

Options are those of the style's check; one it does not take is bad input, never ignored. A
signature the gate cannot read raises GateInputError listing the styles and the smallest adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from elbo_suite.gate.callables import require_callable
from elbo_suite.gate.elbo import check_elbo_estimator
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.gradients import check_gradient_estimator
from elbo_suite.gate.kl import check_kl
from elbo_suite.gate.options import require_known_options
from elbo_suite.gate.result import GateResult
from elbo_suite.gate.vae.distributions_elbo import check_distributions_elbo
from elbo_suite.gate.vae.iwae_loss import check_iwae_loss
from elbo_suite.gate.vae.loss_function import check_vae_loss
from elbo_suite.gate.vae.signatures import Q_ROLES, infer_style, is_scale_tril, read_signature, role_of, unsupported

STYLE_CHECKS: dict[str, Callable[..., GateResult]] = {
    "vae_loss": check_vae_loss,
    "distributions": check_distributions_elbo,
    "iwae": check_iwae_loss,
    "kl": check_kl,
    "elbo": check_elbo_estimator,
    "gradient": check_gradient_estimator,
}
STYLES = tuple(STYLE_CHECKS)


def check_loss(fn: Callable[..., Any], *, style: str | None = None, **options: Any) -> GateResult:
    """Check `fn` in the style named, or read from its signature; options go to that style's check."""
    fn = require_callable("fn", fn)
    signature = read_signature(fn)
    inferred = style is None
    if style is None:
        style = infer_style(signature) if signature is not None else None
        if style is None:
            raise unsupported(signature)
    if style not in STYLE_CHECKS:
        raise GateInputError(f"style: expected one of {STYLES} or None (read from the signature), got {style!r}")
    check = STYLE_CHECKS[style]
    require_known_options(check, options, f"style {style!r} ({check.__name__})")
    if inferred and signature is not None:
        options = {**_inferred_options(style, signature), **options}
    result = check(fn, **options)
    details = {**result.details, "style": style, "style_inferred": inferred}
    return GateResult(result.passed, result.claim, result.error, result.n, result.alpha, result.message, details)


def _inferred_options(style: str, signature) -> dict[str, Any]:
    """What the names say beyond the style: an IWAE estimator, a KL's convention."""
    name = signature.name.rsplit(".", 1)[-1].lower()
    if style == "elbo" and "iwae" in name:
        return {"kind": "iwae"}
    if style == "kl":
        names = signature.positional
        if all(n in ("q", "p") for n in names):
            return {"convention": "distributions", "against": "gaussian" if len(names) == 2 else "standard_normal"}
        roles = [role_of(n, "vae_loss") for n in names]
        spread = next((r for r in roles if r in Q_ROLES), None)
        options: dict[str, Any] = {"against": "gaussian" if len(names) == 4 else "standard_normal"}
        if any(is_scale_tril(n) for n in names):
            options.update(convention="mean_scale_tril", covariance="full")
        elif spread in ("std",):
            options["convention"] = "mean_std"
        elif spread in ("logvar",):
            options["convention"] = "mean_logvar"
        return options
    return {}
