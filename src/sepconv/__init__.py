"""sepconv: depthwise-separable 2-D convolution on the CPU, as tf.layers.separable_conv2d computes it."""
__version__ = "0.1.0"

from . import activations, constraints, initializers, optimizers, regularizers
from ._isa import selected_isa
from ._keras import from_keras
from ._kernels import cached_memory, release_cached_memory
from ._store import (AUTO_REUSE, get_regularization_losses, global_variables,
                     reset_default_store, trainable_variables, variable_scope)
from ._threads import get_num_threads, openmp_enabled, set_num_threads
from .functional import separable_conv2d, separable_convolution2d
from .layers import SeparableConv2D, SeparableConvolution2D
from .variables import Variable

__all__ = [
    "AUTO_REUSE", "SeparableConv2D", "SeparableConvolution2D", "Variable", "activations",
    "cached_memory", "constraints", "from_keras", "get_num_threads", "get_regularization_losses",
    "global_variables", "initializers", "openmp_enabled", "optimizers", "regularizers",
    "release_cached_memory", "reset_default_store", "selected_isa", "separable_conv2d",
    "separable_convolution2d", "set_num_threads", "trainable_variables", "variable_scope",
]
