"""Hand labels for reddy_vae.md, one entry per display row in reading order (see the .md for the source)."""

ROWS = [
    ("correct", r"""p_\theta(x) &= \int_{\RR^k} p(z) p_\theta(x \mid z) \mathrm{d}z""",
     "the evidence as the integral of the joint"),
    ("correct", r"""&= \mathbb{E}_{z \sim p(z \mid x)}\left[ \frac{p(x,z)}{p(z \mid x)} \right]""",
     "p(x,z)/p(z|x) = p(x) for every z, so its expectation is p(x)"),
    ("definition", r"""q_\phi(z \mid x) = \mathcal{N}(z ; \mu_\phi(x), \mathsf{diag}(\sigma^2_\phi(x)))""",
     "modelling choice: a diagonal Gaussian encoder"),
    ("definition", r"""\log p_\theta(x) \geqslant \mathsf{ELBO}(x; \theta, \phi) = \underbrace{\mathbb{E}_{q_\phi(z\mid x)}\left[ \log p_\theta(x \mid z) \right]}_{\text{Decoding Latents}} - \underbrace{D_{KL}(q_\phi(z\mid x) \Vert p(z))}_{\text{Matching Prior}}""",
     "binds ELBO; the bound it states holds"),
]
