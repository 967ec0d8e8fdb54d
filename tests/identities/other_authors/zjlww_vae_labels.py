"""Hand labels for zjlww_vae.md, one entry per display row in reading order (see the .md for the source)."""

ROWS = [
    ("definition", r"""\elbo(p_\theta, q_\phi, x) & := E_{\what Z \sim q_\phi(z|x)}\s{\log \frac{p_\theta(x | \what Z) p_\theta(\what Z)}{q_\phi(\what Z | x)}}""",
     "':=' binds ELBO (the bracket macro comes from the site)"),
    ("correct", r"""& = \log p_\theta(x) - \d{q_\phi(z|x)}{p_\theta(z | x)}""",
     "log-evidence minus the KL gap (the KL macro comes from the site)"),
    ("correct", r"""& = E_{\what Z \sim q_\phi(z|x)}\s{\log p_\theta(x | \what Z)}-\d{q_\phi(z|x)}{p_\theta(z)}""",
     "reconstruction term minus the KL to the prior"),
    ("definition", r"""\L_{\theta, \phi} & := E\s{\elbo({p_\theta, q_\phi, X_*})} = E_{\what Z \sim q_{\phi}(z | X_*)}\s{\log \frac{p_\theta(\what Z, X_*)}{q_\phi(\what Z | X_*)}}""",
     "':=' binds the training objective; the second '=' unfolds the definition"),
    ("error-oos", r"""& = -\d{p_*(x) q_{\phi}(z|x)}{p_{\theta}(z, x)}""",
     "the data-averaged ELBO is -KL(p_* q_phi || p_theta) minus the entropy of p_*; the constant is missing; needs the data distribution"),
    ("correct", r"""\L_{\theta, \phi} &= E\s{\log \frac{p_\theta(\what Z, X_*)}{q_\phi(\what Z | X_*)}} = E\s{\log \frac{p_\theta(X_* | \what Z)p_\theta(Z_0) \prod_{t = 1}^N p_\theta(\what Z_t | \what Z_{ <t })}{q_\phi(\what Z_0|X_*) \prod_{t=1}^N q(\what Z_t|\what Z_{<t}, X_*)}}""",
     "substitutes the autoregressive prior and posterior"),
    ("error-oos", r"""& = E\s{\log p_\theta(X_*, \what Z)} - \d{q_\phi(z_0 | x)}{p_\theta(z_0)} - \sum_{t = 1}^N\d{q_\phi(z_t | z_{< t }, x)}{p_\theta(z_t | z_{<t})}""",
     "the first term should be the likelihood log p_theta(X_*|Z), not the joint (the prior is counted twice), and the KL terms for t >= 1 need an expectation over z_{<t}; the site's macros are not in the document"),
]
