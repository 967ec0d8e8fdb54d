"""The gate for VAE code as users write it: a `loss_function(recon_x, x, mu, logvar)`, an
`elbo(x, encoder, decoder, prior)` over torch.distributions, an IWAE loss over (K, B)
log-probabilities; any decoder likelihood the gate can make exact; and the objective a loss
really optimises (`implied`)."""
