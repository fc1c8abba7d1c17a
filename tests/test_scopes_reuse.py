"""Variable scopes, names, reuse and the weight store (issue 3, item 5;
decisions.md rules 14, 18-22; spec 6.6 and TF's SeparableConv2DTest in 7.1)."""

import re
import threading

import numpy as np
import pytest

import sepconv
from sepconv import initializers

X = np.random.default_rng(0).uniform(size=(5, 7, 9, 3)).astype(np.float32)


def _names():
    return [v.name for v in sepconv.global_variables()]


# --------------------------------------------------------------------------- TF's 7.1 tests


def test_tf_functional_reuse():
    sepconv.separable_conv2d(X, 32, [3, 3], name="sepconv1")
    assert len(sepconv.trainable_variables()) == 3
    sepconv.separable_conv2d(X, 32, [3, 3], name="sepconv1", reuse=True)
    assert len(sepconv.trainable_variables()) == 3


def test_tf_functional_reuse_from_scope():
    with sepconv.variable_scope("scope"):
        sepconv.separable_conv2d(X, 32, [3, 3], name="sepconv1")
        assert len(sepconv.trainable_variables()) == 3
    with sepconv.variable_scope("scope", reuse=True):
        sepconv.separable_conv2d(X, 32, [3, 3], name="sepconv1")
        assert len(sepconv.trainable_variables()) == 3


def test_tf_functional_initializer_from_scope():
    with sepconv.variable_scope("scope", initializer=initializers.Ones()):
        sepconv.separable_conv2d(X, 32, [3, 3], name="sepconv1")
    dw, pw, b = sepconv.global_variables()
    assert [v.name for v in (dw, pw, b)] == [
        "scope/sepconv1/depthwise_kernel", "scope/sepconv1/pointwise_kernel", "scope/sepconv1/bias"]
    np.testing.assert_array_equal(dw.numpy(), np.ones((3, 3, 3, 1)))
    np.testing.assert_array_equal(pw.numpy(), np.ones((1, 1, 3, 32)))
    np.testing.assert_array_equal(b.numpy(), np.zeros(32))  # the bias default is not overridden


def test_tf_functional_no_reuse():
    sepconv.separable_conv2d(X, 32, [3, 3])
    assert len(sepconv.trainable_variables()) == 3
    sepconv.separable_conv2d(X, 32, [3, 3])
    assert len(sepconv.trainable_variables()) == 6
    assert _names()[::3] == ["separable_conv2d/depthwise_kernel",
                             "separable_conv2d_1/depthwise_kernel"]


# --------------------------------------------------------------------------- scope initializer


def test_scope_initializer_rules():
    with sepconv.variable_scope("s", initializer="ones"):
        a = sepconv.SeparableConv2D(2, 1, bias_initializer=None)  # class API: scope at build
        a.build((None, 1, 1, 2))
        b = sepconv.SeparableConv2D(2, 1, depthwise_initializer=initializers.Constant(3.0))
        b.build((None, 1, 1, 2))
    assert all((v.numpy() == 1).all() for v in a.weights)  # bias=None takes the scope's too
    assert (b.depthwise_kernel.numpy() == 3).all() and (b.pointwise_kernel.numpy() == 1).all()
    assert (b.bias.numpy() == 0).all()
    assert a.depthwise_kernel.name == "s/separable_conv2d/depthwise_kernel"
    # nested scopes inherit it; an inner initializer replaces it
    with sepconv.variable_scope("o", initializer="ones"):
        with sepconv.variable_scope("i"):
            sepconv.separable_conv2d(X, 2, 1, name="n1")
        with sepconv.variable_scope("j", initializer=initializers.Constant(2.0)):
            sepconv.separable_conv2d(X, 2, 1, name="n2")
    n1, n2 = sepconv.functional.get_layer("o/i/n1"), sepconv.functional.get_layer("o/j/n2")
    assert (n1.pointwise_kernel.numpy() == 1).all() and (n2.pointwise_kernel.numpy() == 2).all()
    # outside any scope: glorot_uniform
    c = sepconv.SeparableConv2D(1000, 1, bias_initializer=None)
    c.build((None, 1, 1, 1))
    limit = np.sqrt(6 / 2000)
    assert 0.9 * limit < np.abs(c.bias.numpy()).max() <= limit


# --------------------------------------------------------------------------- names


def test_nested_names_and_unique_names_per_scope():
    with sepconv.variable_scope("outer"):
        with sepconv.variable_scope("inner") as scope:
            assert scope.name == "outer/inner"
            sepconv.separable_conv2d(X, 2, 1, name="sep1")
            sepconv.separable_conv2d(X, 2, 1)
            sepconv.separable_conv2d(X, 2, 1)
        sepconv.separable_conv2d(X, 2, 1)
    sepconv.separable_conv2d(X, 2, 1)
    assert _names()[::3] == [
        "outer/inner/sep1/depthwise_kernel", "outer/inner/separable_conv2d/depthwise_kernel",
        "outer/inner/separable_conv2d_1/depthwise_kernel", "outer/separable_conv2d/depthwise_kernel",
        "separable_conv2d/depthwise_kernel"]
    with sepconv.variable_scope("outer"):  # re-entering a scope continues its numbering
        sepconv.separable_conv2d(X, 2, 1)
    assert _names()[-3] == "outer/separable_conv2d_1/depthwise_kernel"


def test_reset_default_store():
    sepconv.separable_conv2d(X, 2, 1, name="a")
    sepconv.reset_default_store()
    assert sepconv.global_variables() == [] and sepconv.get_regularization_losses() == []
    sepconv.separable_conv2d(X, 2, 1, name="a")  # no clash after the reset
    assert _names() == ["a/depthwise_kernel", "a/pointwise_kernel", "a/bias"]


# --------------------------------------------------------------------------- reuse rules


def test_reuse_shares_the_same_variables():
    y1 = sepconv.separable_conv2d(X, 4, 3, name="s", bias_initializer="glorot_uniform")
    owner = sepconv.functional.get_layer("s")
    y2 = sepconv.separable_conv2d(X, 4, 3, name="s", reuse=True)
    np.testing.assert_array_equal(y1, y2)
    # an update through the store's Variables is seen by the next reusing call
    owner.bias.assign(owner.bias.numpy() + 1)
    y3 = sepconv.separable_conv2d(X, 4, 3, name="s", reuse=True)
    np.testing.assert_allclose(y3, y1 + 1, rtol=1e-6, atol=1e-6)


def test_shared_variable_update_repacks_every_sharing_layer():
    from sepconv.functional import _layer_for_call
    kw = dict(filters=2, kernel_size=1, use_bias=False)
    x = np.ones((1, 1, 1, 2))
    sepconv.separable_conv2d(x, name="s", **kw)
    owner = sepconv.functional.get_layer("s")
    sharer = _layer_for_call(x, "s", True, kw)
    assert sharer.weights == owner.weights and sharer is not owner
    assert sharer.losses == [] and sharer.depthwise_kernel.name == "s/depthwise_kernel"
    sharer.pointwise_kernel.assign(np.ones((1, 1, 2, 2)))
    owner.depthwise_kernel.assign(np.full((1, 1, 2, 1), 2.0))
    np.testing.assert_array_equal(owner(x), [[[[4.0, 4.0]]]])
    np.testing.assert_array_equal(sharer(x), [[[[4.0, 4.0]]]])


def test_reuse_error_messages():
    with pytest.raises(ValueError, match=re.escape(
            "Variable never_seen/depthwise_kernel does not exist")):
        sepconv.separable_conv2d(X, 4, 2, name="never_seen", reuse=True)
    with sepconv.variable_scope("sc"):
        sepconv.separable_conv2d(X, 4, 2, name="myconv")
        with pytest.raises(ValueError, match=re.escape(
                "Variable sc/myconv/depthwise_kernel already exists, disallowed")):
            sepconv.separable_conv2d(X, 4, 2, name="myconv")
        with pytest.raises(ValueError, match="already exists"):
            sepconv.separable_conv2d(X, 4, 2, name="myconv", reuse=False)
        with pytest.raises(ValueError, match=re.escape(
                "Trying to share variable sc/myconv/pointwise_kernel, but specified shape "
                "(1, 1, 3, 5) and found shape (1, 1, 3, 4).")):
            sepconv.separable_conv2d(X, 5, 2, name="myconv", reuse=True)
        with pytest.raises(ValueError, match=re.escape(
                "Trying to share variable sc/myconv/depthwise_kernel, but specified shape "
                "(3, 3, 3, 1) and found shape (2, 2, 3, 1).")):
            sepconv.separable_conv2d(X, 4, 3, name="myconv", reuse=True)
        sepconv.separable_conv2d(X, 4, 2, name="nob", use_bias=False)
        with pytest.raises(ValueError, match=re.escape("Variable sc/nob/bias does not exist")):
            sepconv.separable_conv2d(X, 4, 2, name="nob", reuse=True)
        sepconv.separable_conv2d(X, 4, 2, name="myconv", reuse=True, use_bias=False)  # fine
    assert len(sepconv.global_variables()) == 5  # nothing was created by the failures


def test_reuse_inheritance_and_auto_reuse():
    sepconv.separable_conv2d(X, 2, 1, name="a")
    with sepconv.variable_scope("r") as r:
        assert r.reuse is None
        sepconv.separable_conv2d(X, 2, 1, name="a")
    with sepconv.variable_scope("r", reuse=True):
        sepconv.separable_conv2d(X, 2, 1, name="a")                # reuse=None inherits True
        sepconv.separable_conv2d(X, 2, 1, name="a", reuse=False)   # as TF: cannot switch it off
        with sepconv.variable_scope("r2", reuse=False) as r2:
            assert r2.reuse is True
            with pytest.raises(ValueError, match="r/r2/a/depthwise_kernel does not exist"):
                sepconv.separable_conv2d(X, 2, 1, name="a")
    with sepconv.variable_scope("auto", reuse=sepconv.AUTO_REUSE):
        for _ in range(3):
            sepconv.separable_conv2d(X, 2, 1, name="a")
        with sepconv.variable_scope("in", reuse=True) as inner:
            assert inner.reuse is True
    for _ in range(2):
        sepconv.separable_conv2d(X, 2, 1, name="b", reuse=sepconv.AUTO_REUSE)
    assert _names()[::3] == ["a/depthwise_kernel", "r/a/depthwise_kernel",
                             "auto/a/depthwise_kernel", "b/depthwise_kernel"]
    with pytest.raises(ValueError, match="reuse=1"):
        with sepconv.variable_scope("x", reuse=1):
            pass
    with pytest.raises(ValueError, match="variable_scope: name"):
        with sepconv.variable_scope(""):
            pass
    assert repr(sepconv.AUTO_REUSE) == "sepconv.AUTO_REUSE"


def test_trainable_false_in_store_views():
    sepconv.separable_conv2d(X, 2, 1, name="frozen", trainable=False)
    sepconv.separable_conv2d(X, 2, 1, name="live")
    layer = sepconv.functional.get_layer("frozen")
    assert len(sepconv.global_variables()) == 6
    assert [v.name for v in sepconv.trainable_variables()] == [
        "live/depthwise_kernel", "live/pointwise_kernel", "live/bias"]
    assert layer.trainable_weights == [] and layer.non_trainable_weights == layer.weights


def test_class_layers_stay_out_of_the_store():
    layer = sepconv.SeparableConv2D(2, 1, name="obj")
    layer(X)
    assert sepconv.global_variables() == []
    same = sepconv.SeparableConv2D(2, 1, name="obj")  # no clash: Keras-style objects
    same(X)


# --------------------------------------------------------------------------- threads


def test_scopes_are_per_thread_and_store_is_thread_safe():
    barrier = threading.Barrier(4)
    errors = []

    def work(k):
        try:
            with sepconv.variable_scope(f"t{k}"):
                barrier.wait()
                for _ in range(5):
                    sepconv.separable_conv2d(X, 2, 1, name="shared", reuse=sepconv.AUTO_REUSE)
                    sepconv.separable_conv2d(X, 2, 1)
            barrier.wait()
            sepconv.separable_conv2d(X, 2, 1, name="top", reuse=sepconv.AUTO_REUSE)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    dws = sorted(n for n in _names() if n.endswith("depthwise_kernel"))
    want = sorted([f"t{k}/shared/depthwise_kernel" for k in range(4)]
                  + [f"t{k}/separable_conv2d{s}/depthwise_kernel" for k in range(4)
                     for s in ["", "_1", "_2", "_3", "_4"]]
                  + ["top/depthwise_kernel"])
    assert dws == want


def test_reusing_calls_do_not_accumulate_listeners():
    import gc
    sepconv.separable_conv2d(X, 2, 1, name="loop")
    var = sepconv.functional.get_layer("loop").depthwise_kernel
    for _ in range(50):
        sepconv.separable_conv2d(X, 2, 1, name="loop", reuse=True)
    gc.collect()
    assert len(var._listeners) <= 2  # the owner and at most the latest dead reuser
