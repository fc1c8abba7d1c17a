"""sepconv: depthwise-separable 2-D convolution on the CPU."""
__version__ = "0.1.0"
