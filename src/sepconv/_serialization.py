"""Keras-style lookup shared by initializers, regularizers and constraints.

An identifier is None, a name, a class, an instance, a config dict or a
callable.  Config dicts come in three dialects, all accepted:
  Keras 2 / tf-keras  {'class_name': 'L2', 'config': {...}}
  Keras 3             {'module': 'keras.regularizers', 'class_name': 'L2',
                       'config': {...}, 'registered_name': None}
  TF 1.x init_ops     {'class_name': 'Zeros', 'config': {'dtype': 'float32'}}"""

import inspect


def lookup(identifier, classes, aliases, kind, argument):
    """Resolves identifier to an object; raises ValueError/TypeError naming `argument`.

    classes: {ClassName: class}; aliases: {snake_name: factory}, e.g. {'l2': L2}."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        factory = aliases.get(identifier) or classes.get(identifier)
        if factory is None:
            known = ", ".join(sorted(aliases))
            raise ValueError(f"{argument}: unknown {kind} {identifier!r}; known names are {known}")
        return factory()
    if isinstance(identifier, dict):
        return _from_dict(identifier, classes, aliases, kind, argument)
    if inspect.isclass(identifier):
        # Keras instantiates a class given in place of an instance
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"{argument}: expected the {kind} as a name, instance, config dict or callable, "
                    f"got {identifier!r} of type {type(identifier).__name__}")


def _from_dict(identifier, classes, aliases, kind, argument):
    name = identifier.get("class_name")
    config = identifier.get("config", {})
    if config is None:
        config = {}
    if not isinstance(name, str) or not isinstance(config, dict):
        raise ValueError(
            f"{argument}: a {kind} config needs a 'class_name' string and a 'config' dict, "
            f"got {identifier!r}")
    cls = classes.get(name) or classes.get(_camel(name)) or aliases.get(name)
    if cls is None:
        raise ValueError(f"{argument}: unknown {kind} class {name!r} in {identifier!r}; "
                         f"known classes are {', '.join(sorted(classes))}")
    build = getattr(cls, "from_config", None) or (lambda cfg: cls(**cfg))
    try:
        return build(dict(config))
    except TypeError as exc:
        raise ValueError(f"{argument}: bad {kind} config {identifier!r}: {exc}") from None


def _camel(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def keras_seed(seed):
    """A seed from a config: None, an int, or Keras 3's serialized SeedGenerator."""
    if isinstance(seed, dict):
        seed = (seed.get("config") or {}).get("seed")
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) and not hasattr(seed, "__index__") \
            or int(seed) < 0:
        raise ValueError(f"an initializer's seed must be None or an int >= 0, got {seed!r}")
    return int(seed)


def serialize(obj):
    """Keras-style {'class_name', 'config'} for objects with get_config; None stays
    None; a plain callable (a function, a lambda) is passed through as itself."""
    if obj is None:
        return None
    if hasattr(obj, "get_config") and not inspect.isclass(obj):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return obj
