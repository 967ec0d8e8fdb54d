"""Correctness gate for users' own KL, ELBO / IWAE, VAE-loss and gradient-estimator code.

Each `check_*` function runs the user's callable on seeded exact models and returns a
`GateResult` (passed, claim, error, n, alpha, message, details); bad input (a non-callable, a
callable that raises or returns the wrong type, dtype or shape, an unknown option) raises
`GateInputError` with one line saying what was expected. A NaN or inf returned on the gate's
finite inputs is a failed claim (overflow or underflow), not bad input. The `assert_*` helpers
raise AssertionError with the result's message, for pytest.

`check_loss(fn, style=None)` takes a function in any supported style, read from its parameter
names (`styles`): a `loss_function(recon_x, x, mu, logvar)` (`vae.loss_function`), an
`elbo(x, encoder, decoder, prior)` over torch.distributions (`vae.distributions_elbo`), an IWAE
loss over (K, B) log-probabilities (`vae.iwae_loss`), or the forms below. Each check's module
docstring states the contract of the user's function: `kl`, `elbo` (the model and q attributes a
function may use), `gradients`, and the three `vae` modules.
"""

from elbo_suite.gate.asserts import (
    assert_elbo_estimator_correct,
    assert_gradient_estimator_correct,
    assert_kl_correct,
    assert_loss_correct,
)
from elbo_suite.gate.callables import load_callable
from elbo_suite.gate.elbo import check_elbo_estimator
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.gradients import CallableTarget, check_gradient_estimator
from elbo_suite.gate.kl import check_kl
from elbo_suite.gate.result import ClaimOutcome, GateResult
from elbo_suite.gate.run import GATE_KINDS, run_gate
from elbo_suite.gate.styles import STYLES, check_loss
from elbo_suite.gate.vae.distributions_elbo import check_distributions_elbo
from elbo_suite.gate.vae.iwae_loss import check_iwae_loss
from elbo_suite.gate.vae.loss_function import check_vae_loss

__all__ = [
    "GATE_KINDS",
    "CallableTarget",
    "ClaimOutcome",
    "GateInputError",
    "GateResult",
    "STYLES",
    "assert_elbo_estimator_correct",
    "assert_gradient_estimator_correct",
    "assert_kl_correct",
    "assert_loss_correct",
    "check_distributions_elbo",
    "check_elbo_estimator",
    "check_gradient_estimator",
    "check_iwae_loss",
    "check_kl",
    "check_loss",
    "check_vae_loss",
    "load_callable",
    "run_gate",
]
