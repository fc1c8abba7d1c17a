"""sepconv: depthwise-separable 2-D convolution on the CPU, as tf.layers.separable_conv2d computes it."""
__version__ = "0.1.0"

from . import activations, initializers
from ._isa import selected_isa
from ._threads import get_num_threads, openmp_enabled, set_num_threads
from .functional import AUTO_REUSE, separable_conv2d, separable_convolution2d
from .layers import SeparableConv2D, SeparableConvolution2D

__all__ = [
    "AUTO_REUSE", "SeparableConv2D", "SeparableConvolution2D", "activations", "get_num_threads",
    "initializers", "openmp_enabled", "selected_isa", "separable_conv2d", "separable_convolution2d",
    "set_num_threads",
]
