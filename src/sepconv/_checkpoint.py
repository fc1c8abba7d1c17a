"""Layer weights to and from .npz files, keyed by Variable name
('outer/sep1/depthwise_kernel').  Loading matches by the last part of the name,
so weights saved from one layer load into another of the same shapes."""

import os

import numpy as np

_PARTS = ("depthwise_kernel", "pointwise_kernel", "bias")


def save(layer, path):
    if not layer.built:
        raise ValueError(f"layer {layer.name!r} has no weights yet: build or call it before saving")
    np.savez(path, **{v.name: v.numpy() for v in layer.weights})


def _open(path):
    if isinstance(path, (str, os.PathLike)):
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.exists(path + ".npz"):
            path += ".npz"  # np.savez appended the suffix
    return np.load(path, allow_pickle=False)


def load(layer, path):
    with _open(path) as data:
        by_part = {}
        for key in data.files:
            part = key.rsplit("/", 1)[-1]
            if part not in _PARTS or part in by_part:
                raise ValueError(f"{path}: unexpected or duplicate weight {key!r}; expected one "
                                 f"each of {', '.join(_PARTS)}")
            by_part[part] = data[key]
    want = list(_PARTS[:3 if layer.use_bias else 2])
    if sorted(by_part) != sorted(want):
        raise ValueError(f"{path}: layer {layer.name!r} needs weights {want}; the file holds "
                         f"{sorted(by_part)}")
    weights = [by_part[p] for p in want]
    if not layer.built:
        dw = weights[0]
        if dw.ndim != 4:
            raise ValueError(f"{path}: depthwise_kernel has shape {dw.shape}; expected 4 dims")
        if layer._dtype is None:
            layer._dtype = np.dtype(dw.dtype)
        c = dw.shape[2]
        layer.build((None, None, None, c) if layer.data_format == "channels_last"
                    else (None, c, None, None))
    layer.set_weights(weights)
