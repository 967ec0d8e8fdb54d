"""Gate your VAE loss as you wrote it: copy this file into your tests and import your own loss.

The loss below is the one in PyTorch's VAE example (pytorch/examples, vae/main.py,
https://github.com/pytorch/examples/blob/main/vae/main.py): binary cross-entropy summed over the
784 pixels and the batch, plus the Gaussian KL. The gate feeds it exact draws and checks that it is
the negative ELBO — value, gradient, and where numerics break.
"""

import torch
from torch.nn import functional as F

from elbo_suite.gate import assert_loss_correct


# Your code (normally imported from your own package).
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


# The gate: the style and the roles of recon_x, x, mu and logvar are read from the parameter names;
# recon_x holds Bernoulli probabilities (the default likelihood); data_shape is what x.view(-1, 784)
# expects of one data point.
def test_vae_loss():
    assert_loss_correct(loss_function, data_shape=(784,))
