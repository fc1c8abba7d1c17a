"""Keras-style lookup shared by initializers, regularizers and constraints:
an identifier is None, a name, an instance, a config dict
({'class_name': ..., 'config': {...}}) or a callable."""


def _snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def lookup(identifier, classes, aliases, kind, argument):
    """Resolves identifier to an object; raises ValueError/TypeError naming `argument`.

    classes: {ClassName: class}; aliases: {name: factory}, e.g. {'l2': L2}."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        key = identifier
        if key in aliases:
            return aliases[key]()
        if key in classes:
            return classes[key]()
        known = sorted(set(aliases) | set(classes))
        raise ValueError(f"{argument}: unknown {kind} {identifier!r}; known names are {known}")
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        config = identifier.get("config", {}) or {}
        if not isinstance(name, str) or not isinstance(config, dict):
            raise ValueError(f"{argument}: a {kind} config needs 'class_name' and 'config', got {identifier!r}")
        cls = classes.get(name) or aliases.get(name) or classes.get(_camel(name))
        if cls is None:
            raise ValueError(f"{argument}: unknown {kind} class {name!r} in {identifier!r}")
        try:
            return cls(**config)
        except TypeError as exc:
            raise ValueError(f"{argument}: bad {kind} config {identifier!r}: {exc}") from None
    if callable(identifier):
        return identifier
    raise TypeError(f"{argument}: expected a {kind} name, instance, config dict or callable, "
                    f"got {identifier!r} of type {type(identifier).__name__}")


def _camel(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def serialize(obj):
    """Keras-style {'class_name', 'config'} for objects with get_config, else None for None."""
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return obj  # a plain callable is passed through as itself
