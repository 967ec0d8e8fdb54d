"""Characters written instead of their commands: Greek letters, relations, operators, minus signs
pasted from a PDF. Each maps to the LaTeX it stands for."""

from __future__ import annotations

from elbo_suite.identities.notation.registry import REGISTRY, UNICODE

_CHARS = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon",
    "ϵ": r"\epsilon", "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ϑ": r"\theta", "ι": r"\iota",
    "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi",
    "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau", "υ": r"\upsilon", "φ": r"\phi", "ϕ": r"\phi",
    "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega", "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta",
    "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi", "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi",
    "Ω": r"\Omega",
    "−": "-", "–": "-", "—": "-", "·": r"\cdot", "⋅": r"\cdot", "×": r"\times", "⊙": r"\odot",
    "∘": r"\circ", "∗": "*", "÷": "/",
    "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx", "≃": r"\simeq", "∼": r"\sim",
    "∝": r"\propto", "∈": r"\in", "∉": r"\notin", "≡": r"\equiv", "≜": r"\triangleq",
    "≔": r"\coloneqq", "≪": r"\ll", "≫": r"\gg", "→": r"\to", "⇒": r"\Rightarrow",
    "⟹": r"\implies", "⇔": r"\iff", "∴": r"\therefore", "∵": r"\because", "⊥": r"\perp",
    "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∂": r"\partial", "∇": r"\nabla", "√": r"\sqrt",
    "∞": r"\infty", "…": r"\dots", "⋯": r"\cdots", "ℓ": r"\ell", "∀": r"\forall", "∃": r"\exists",
    "∣": r"\mid", "∥": r"\|", "‖": r"\|", "⟨": r"\langle", "⟩": r"\rangle", "′": "'", "″": "''",
    "⊤": r"\top", "ᵀ": r"^\top", "²": "^2", "³": "^3", "¹": "^1", "⁻¹": "^{-1}",
    "𝔼": r"\mathbb{E}", "ℒ": r"\mathcal{L}", "𝒩": r"\mathcal{N}", "ℝ": r"\mathbb{R}",
    "𝒳": r"\mathcal{X}", "𝒵": r"\mathcal{Z}", "ℙ": r"\mathbb{P}", "𝟙": r"\mathbb{1}",
    "（": "(", "）": ")", "［": "[", "］": "]", "，": ",", "：": ":", "；": ";", "＝": "=",
    "＋": "+", "－": "-", "｜": "|", "。": ".", "、": ",",
    "\u00a0": " ", "\u2009": " ", "\u200b": " ", "\u3000": " ",
}
for char, tex in _CHARS.items():
    REGISTRY.define(UNICODE, (char,), f"the character {char!r} written for {tex}", value=tex,
                    family="unicode")
