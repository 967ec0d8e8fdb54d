"""Claims weaker than a pointwise identity, and how to tell which of them a step makes.

A step written as an equality may hold only in expectation (Tweedie's formula written for x_0
instead of E[x_0 | x_t]), only up to a term free of the parameters (a training loss that drops
constants), or only for the minimisers (arg min of a sum and of an average over t). Each module
here decides one of these on the chain's instances; the verdict of such a step stays `refuted` for
its literal reading and names the weaker claim that holds.
"""
