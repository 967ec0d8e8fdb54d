"""What a user's `elbo(model, q, x, eps)` may use of the gate's model and q: the contract, stated
once. The module docstring of `elbo` renders it; a test holds every entry against the real
objects; a function that reaches for anything else is told this list (`attribute_hint`).

model: `elbo_suite.estimators.models.LinearGaussianModel`, z ~ N(0, I_k), x | z ~ N(W z + b, s² I_d).
q: `DiagonalGaussian` (mean, log_std) or `FullCovGaussian` (mean, scale_tril), one Gaussian per
data point, batched (B, k).
"""

from __future__ import annotations

MODEL_ATTRIBUTES: dict[str, str] = {
    "W": "(d, k) loading matrix",
    "b": "(d,) offset",
    "noise_std": "s, the observation noise standard deviation (a float)",
    "latent_dim": "k",
    "data_dim": "d",
    "log_joint(x, z)": "log p(x, z) for x (B, d), z (..., B, k) -> (..., B)",
    "log_likelihood(x, z)": "log p(x | z) -> (..., B)",
    "log_prior(z)": "log N(z; 0, I) for z (..., k) -> (...)",
    "prior_matching(q)": "KL(q ‖ N(0, I)) in closed form -> (B,)",
}
Q_ATTRIBUTES: dict[str, str] = {
    "mean": "(B, k)",
    "log_std": "(B, k) log standard deviations (DiagonalGaussian only)",
    "scale_tril": "(B, k, k) Cholesky factor (a diagonal one for DiagonalGaussian)",
    "std": "(B, k) marginal standard deviations",
    "covariance()": "(B, k, k)",
    "batch_size": "B",
    "latent_dim": "k",
    "rsample(eps)": "z = mean + L eps for standard-normal eps (..., B, k); differentiable",
    "log_prob(z)": "log q(z) for z (..., B, k) -> (..., B)",
    "entropy()": "(B,)",
}


def _names(attributes: dict[str, str]) -> str:
    return ", ".join(attributes)


def attribute_hint(message: str) -> str:
    """'; the gate's model offers ...' when a user's AttributeError names the model or q."""
    if "LinearGaussianModel" in message:
        return f"; the model offers {_names(MODEL_ATTRIBUTES)} (elbo_suite.gate.contract)"
    if "DiagonalGaussian" in message or "FullCovGaussian" in message:
        return f"; q offers {_names(Q_ATTRIBUTES)} (elbo_suite.gate.contract)"
    return ""
