"""Probes: how a question's answer is read out of a namespace after its cell ran, as plain data.

The grader's child runs :func:`run_probe` on the student's namespace after each graded
cell; ``Question.check()`` runs the same function in the student's own kernel, so both
produce the same :class:`~.protocol.Outcome` for the same answer. A probe never raises
because of what the answer does: an exception, a missing name, a stub or running out of
memory becomes an outcome :class:`~.protocol.Kind`.

>>> run_probe({"probe": Probe.CALL, "name": "f"}, {"f": lambda x: 2 * x}, [(3,)])["calls"]
[{'outcome': 'ok', 'answer': {'type': 'int', 'value': 6}}]
"""
from __future__ import annotations

from .codec import MAX_ITEMS, NotPlain, PlainType, _short, _type_name, to_plain, unsupported
from .forbidden import Forbidden
from .protocol import Kind, Outcome, Probe, ProbeSpec


def describe_args(args) -> str:
    """A short, value-free description of a call's arguments (safe for hidden inputs).

    >>> import numpy as np
    >>> describe_args((np.zeros((5, 5)), 3))
    'an input of shape (5, 5) and an int'
    """
    import numpy as np

    parts = []
    for arg in args:
        if isinstance(arg, np.ndarray):
            parts.append(f"an input of shape {tuple(arg.shape)}")
        else:
            parts.append(f"an {type(arg).__name__}" if type(arg).__name__[0] in "aeiou" else f"a {type(arg).__name__}")
    if not parts:
        return "no arguments"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def describe_exception(exc: BaseException) -> str:
    """``"ValueError: message"`` on one line, without running a traceback printer."""
    try:
        text = _short(str(exc), 200)
    except Exception:  # a student's __str__ may itself raise
        text = "(message unavailable)"
    name = _type_name(exc)
    return f"{name}: {text}" if text else name


def _call_outcome(fn, args):
    """Call ``fn(*args)`` and turn what happened into plain data."""
    try:
        value = fn(*args)
    except NotImplementedError as exc:
        return {"outcome": Kind.NOT_ATTEMPTED, "detail": describe_exception(exc)}
    except MemoryError:
        return {"outcome": Kind.MEMORY}
    except RecursionError as exc:
        return {"outcome": Kind.RAISED, "error": describe_exception(exc)}
    except Exception as exc:
        return {"outcome": Kind.RAISED, "error": describe_exception(exc), "forbidden": isinstance(exc, Forbidden)}
    except BaseException as exc:  # SystemExit / KeyboardInterrupt from a student's function: that call only
        return {"outcome": Kind.RAISED, "error": describe_exception(exc)}
    try:
        return {"outcome": Kind.OK, "answer": to_plain(value)}
    except MemoryError:
        return {"outcome": Kind.MEMORY}
    except Exception as exc:
        return {"outcome": Kind.OK, "answer": unsupported(NotPlain.TYPE, f"{_type_name(value)} ({describe_exception(exc)})")}


def run_probe(spec: ProbeSpec, namespace: dict, args_list=None) -> Outcome:
    """Read one question's answer from ``namespace`` as plain data.

    ``spec["probe"]`` is :attr:`Probe.VALUE` (variables ``spec["names"]``),
    :attr:`Probe.CALL` (call the function ``spec["name"]`` on each argument tuple of
    ``args_list``), :attr:`Probe.KERAS_SUMMARY` (a Keras model, or a function building
    one, summarised as layer types, output shapes and parameter counts) or
    :attr:`Probe.PREDICT` (class predictions of a Keras model for ``args_list[0][0]``,
    a batch of images).

    >>> run_probe({"probe": Probe.VALUE, "names": ["y"]}, {"y": 2})["values"]["y"]
    {'type': 'int', 'value': 2}
    """
    probe = spec.get("probe")
    if probe == Probe.VALUE:
        values = {}
        for name in spec["names"]:
            if name not in namespace:
                values[name] = {"type": PlainType.MISSING}
            else:
                try:
                    values[name] = to_plain(namespace[name])
                except MemoryError:
                    return {"outcome": Kind.MEMORY}
                except Exception as exc:
                    values[name] = unsupported(NotPlain.TYPE, describe_exception(exc))
        return {"outcome": Kind.OK, "values": values}
    name = spec.get("name")
    if name not in namespace:
        return {"outcome": Kind.MISSING, "name": name}
    target = namespace[name]
    if probe == Probe.CALL:
        if not callable(target):
            return {"outcome": Kind.NOT_CALLABLE, "name": name, "detail": _type_name(target)}
        return {"outcome": Kind.OK, "calls": [_call_outcome(target, tuple(args)) for args in (args_list or [])]}
    if probe == Probe.KERAS_SUMMARY:
        return _keras_summary(target)
    if probe == Probe.PREDICT:
        return _predict(target, args_list[0][0], spec)
    return {"outcome": Kind.ERROR, "error": f"unknown probe {probe!r}"}


def _keras_summary(target) -> dict:
    try:
        import keras
    except Exception as exc:  # pragma: no cover - keras is a course dependency
        return {"outcome": Kind.ERROR, "error": f"keras is not available ({describe_exception(exc)})"}
    if target is None or target is Ellipsis:
        return {"outcome": Kind.OK, "answer": to_plain(target)}
    try:
        model = target if isinstance(target, keras.Model) else target()
    except NotImplementedError as exc:
        return {"outcome": Kind.NOT_ATTEMPTED, "detail": describe_exception(exc)}
    except Exception as exc:
        return {"outcome": Kind.RAISED, "error": describe_exception(exc)}
    if model is None or model is Ellipsis:
        return {"outcome": Kind.OK, "answer": to_plain(model)}
    if not isinstance(model, keras.Model):
        return {"outcome": Kind.OK, "answer": unsupported(NotPlain.TYPE, _type_name(model))}
    layers = []
    for layer in model.layers[:MAX_ITEMS]:
        try:
            shape = list(layer.output.shape)
        except Exception:
            shape = []
        config = {}
        for key in ("filters", "kernel_size", "strides", "padding", "activation", "units", "pool_size", "rate", "use_bias",
                    "max_value"):
            value = getattr(layer, key, None)
            if value is None:
                continue
            if callable(value):
                value = getattr(value, "__name__", str(value))
            config[key] = list(value) if isinstance(value, tuple) else value
        layers.append({"class": type(layer).__name__, "name": layer.name,
                       "output_shape": [-1 if n is None else int(n) for n in shape],
                       "params": int(layer.count_params()), "config": config,
                       "inbound": _inbound_layer_names(model, layer)})
    return {"outcome": Kind.OK, "answer": to_plain({"layers": layers, "total_params": int(model.count_params())})}


def _inbound_layer_names(model, layer) -> list[str]:
    """Names of the layers whose outputs feed ``layer`` in ``model`` (in call order; [] if Keras does not say).

    A layer may have been called in several graphs: the node used is the one ``model`` owns.
    """
    try:
        nodes = list(layer._inbound_nodes)
        owned = getattr(model, "_nodes", set())
        node = next((n for k, n in enumerate(nodes) if f"{id(layer)}_ib-{k}" in owned), nodes[0] if nodes else None)
        if node is None:
            return []
        return [str(t._keras_history.operation.name) for t in node.input_tensors][:MAX_ITEMS]
    except Exception:  # private Keras attributes: without them the wiring is simply not reported
        return []


def _predict(model, images, spec) -> dict:
    import numpy as np

    if model is None or model is Ellipsis:  # the stub (model = None): not attempted, as in check()
        return {"outcome": Kind.NOT_ATTEMPTED}
    try:
        scores = model.predict(images, verbose=0, batch_size=int(spec.get("batch_size", 256)))
        labels = np.asarray(scores).reshape(len(images), -1).argmax(axis=1)
    except MemoryError:
        return {"outcome": Kind.MEMORY}
    except Exception as exc:
        return {"outcome": Kind.RAISED, "error": describe_exception(exc)}
    return {"outcome": Kind.OK, "answer": to_plain(labels.astype(np.int64))}

