"""Activation names (decisions.md rules 23-24).

A name runs in C, inside the pointwise epilogue; a callable runs on the
output array afterwards.  Names are case-sensitive, as in Keras
(`keras.activations.get('ReLU')` fails there too): 'ReLU' raises and the
message suggests 'relu'."""

from . import _kernels

# names the C epilogue implements, in enum order
C_NAMES = tuple(_kernels.ACTIVATIONS)
ALIASES = {"silu": "swish"}
KNOWN = tuple(sorted(C_NAMES + tuple(ALIASES)))


def resolve(activation):
    """(C activation name, Python callable or None) for an `activation` argument."""
    if activation is None:
        return "linear", None
    if isinstance(activation, str):
        name = ALIASES.get(activation, activation)
        if name in C_NAMES:
            return name, None
        hint = ""
        low = activation.lower()
        if low in KNOWN:
            hint = f" (names are case-sensitive: did you mean {low!r}?)"
        raise ValueError(
            f"unknown activation {activation!r}{hint}; known names are "
            + ", ".join(KNOWN) + ", or pass None or a callable")
    if callable(activation):
        return "linear", activation
    raise ValueError(
        f"`activation` must be None, a callable or one of {', '.join(KNOWN)}; "
        f"received activation={activation!r}")


def serialize(activation):
    """The get_config value: Keras writes 'linear' for None; callables are kept as is."""
    return "linear" if activation is None else activation
