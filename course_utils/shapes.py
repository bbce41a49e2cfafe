"""Shape and counting arithmetic for CNN layers: one implementation each.

Output size (with dilation ``d``: a kernel of size ``F`` covers ``d (F - 1) + 1`` inputs)::

    out = floor((I + 2P - d (F - 1) - 1) / S) + 1

>>> conv_output_size(28, 3)                          # 28 -> 26
26
>>> conv_output_size(224, 11, stride=4, padding=2)   # AlexNet conv1
55
>>> receptive_field([(3, 2), (3, 2)])[-1]            # two 3x3 stride-2 convs
(7, 4)
>>> conv_params(5, in_channels=1, filters=6)         # LeNet C1
156
"""
from __future__ import annotations

import math
import numbers
from typing import Iterable, Sequence


def _check_positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """How many inputs a dilated kernel spans: ``d (F - 1) + 1``.

    >>> effective_kernel_size(3, dilation=2)
    5
    """
    kernel_size = _check_positive_int("kernel_size", kernel_size)
    dilation = _check_positive_int("dilation", dilation)
    return dilation * (kernel_size - 1) + 1


def conv_output_size(input_size: int, kernel_size: int, stride: int = 1, padding=0, dilation: int = 1) -> int:
    """Length of one spatial axis after a convolution or pooling window.

    ``padding`` is a number of zeros added on each side, or Keras' ``"valid"``
    (no padding) or ``"same"`` (``ceil(I / S)``, Keras pads as needed).

    >>> conv_output_size(32, 5), conv_output_size(55, 3, stride=2)
    (28, 27)
    >>> conv_output_size(28, 5, padding="same"), conv_output_size(5, 3, stride=2, padding="same")
    (28, 3)
    """
    input_size = _check_positive_int("input_size", input_size)
    stride = _check_positive_int("stride", stride)
    span = effective_kernel_size(kernel_size, dilation)
    if padding == "same":
        return math.ceil(input_size / stride)
    if padding == "valid":
        padding = 0
    padding = _check_positive_int("padding", padding, minimum=0)
    room = input_size + 2 * padding - span
    if room < 0:
        raise ValueError(f"a kernel spanning {span} does not fit an input of {input_size} with padding {padding}")
    return room // stride + 1


def conv_transpose_output_size(input_size: int, kernel_size: int, stride: int = 1, padding=0,
                               output_padding: int | None = None, dilation: int = 1) -> int:
    """Length of one spatial axis after a transposed convolution (Keras' ``Conv2DTranspose``).

    The conv formula run backwards: the convolution that maps ``O`` inputs to ``I`` outputs,
    read from its output side, so ``O = (I - 1) S - 2P + d (F - 1) + 1 + output_padding``.
    A convolution's output size rounds down, so several input sizes give the same output;
    ``output_padding`` (0 .. S - 1) picks one. With ``padding="valid"`` or ``"same"`` and
    no ``output_padding``, Keras' own choice: ``I * S + max(F_eff - S, 0)`` and ``I * S``.

    >>> conv_transpose_output_size(3, 3, stride=2)                        # undoes 7 -> 3
    7
    >>> conv_transpose_output_size(16, 2, stride=2), conv_transpose_output_size(16, 3, stride=2, padding="same")
    (32, 32)
    >>> conv_transpose_output_size(3, 3, stride=2, output_padding=1)      # undoes 8 -> 3 instead
    8
    """
    input_size = _check_positive_int("input_size", input_size)
    stride = _check_positive_int("stride", stride)
    span = effective_kernel_size(kernel_size, dilation)
    if output_padding is not None:
        output_padding = _check_positive_int("output_padding", output_padding, minimum=0)
        if output_padding >= stride:
            raise ValueError(f"output_padding must be smaller than the stride ({stride}), got {output_padding}")
    if padding in ("valid", "same") and output_padding is None:
        return input_size * stride + (max(span - stride, 0) if padding == "valid" else 0)
    if padding == "valid":
        padding = 0
    elif padding == "same":
        padding = span // 2
    padding = _check_positive_int("padding", padding, minimum=0)
    size = (input_size - 1) * stride - 2 * padding + span + (output_padding or 0)
    if size < 1:
        raise ValueError(f"padding {padding} removes the whole output ({size} left)")
    return size


def same_padding(kernel_size: int, dilation: int = 1) -> int:
    """The zero padding per side that keeps the size at stride 1 (odd kernels).

    >>> same_padding(3), same_padding(5), same_padding(3, dilation=2)
    (1, 2, 2)
    """
    span = effective_kernel_size(kernel_size, dilation)
    if span % 2 == 0:
        raise ValueError(f"an even kernel span ({span}) cannot be padded symmetrically")
    return (span - 1) // 2


def receptive_field(layers: Iterable[Sequence[int]]) -> list[tuple[int, int]]:
    """Receptive-field size and jump after each layer, seen from the input.

    Each layer is ``(kernel_size, stride)`` or ``(kernel_size, stride, dilation)``.
    The recurrences start from one input pixel (``r = 1``, ``j = 1``)::

        r_out = r_in + (k_eff - 1) * j_in        j_out = j_in * s

    >>> receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)])    # LeNet-5's conv/pool stack
    [(5, 1), (6, 2), (14, 2), (16, 4)]
    """
    if layers is None:
        raise TypeError("layers is None; expected a list of (kernel_size, stride[, dilation]) tuples")
    r, j, out = 1, 1, []
    for layer in layers:
        if isinstance(layer, str) or not isinstance(layer, Sequence) or len(layer) not in (2, 3):
            raise ValueError(f"each layer must be (kernel_size, stride) or (kernel_size, stride, dilation), got {layer!r}")
        kernel, stride, *rest = layer
        span = effective_kernel_size(kernel, rest[0] if rest else 1)
        r += (span - 1) * j
        j *= _check_positive_int("stride", stride)
        out.append((r, j))
    return out


def _pair(value, name: str = "kernel_size") -> tuple[int, int]:
    try:
        pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    except TypeError:  # None, a float, ...: not a size
        pair = None
    if pair is None or len(pair) != 2:
        raise TypeError(f"{name} must be an integer or a (height, width) pair, got {value!r}")
    return tuple(_check_positive_int(name, v) for v in pair)


def conv_params(kernel_size, in_channels: int, filters: int, bias: bool = True, groups: int = 1) -> int:
    """Trainable parameters of a convolution: ``(kh * kw * C_in / groups + bias) * filters``.

    >>> conv_params(11, 3, 96)        # AlexNet conv1
    34944
    >>> conv_params(3, 128, 128, groups=32)   # ResNeXt grouped 3x3
    4736
    """
    kh, kw = _pair(kernel_size)
    in_channels, filters = _check_positive_int("in_channels", in_channels), _check_positive_int("filters", filters)
    groups = _check_positive_int("groups", groups)
    if in_channels % groups or filters % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and filters={filters}")
    return (kh * kw * (in_channels // groups) + int(bias)) * filters


def conv_fans(kernel_size, in_channels: int, filters: int) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a convolution, as Keras' initialisers count them.

    Each output value sums ``kh * kw * C_in`` products (the fan-in); each input value feeds
    ``kh * kw * C_out`` of them (the fan-out). A dense layer is a 1 x 1 convolution.
    He initialisation draws weights with std ``sqrt(2 / fan_in)``, Glorot with
    ``sqrt(2 / (fan_in + fan_out))`` (:func:`course_utils.mlp.init_std`).

    >>> conv_fans(3, 64, 128)
    (576, 1152)
    >>> conv_fans(1, 4096, 1000)              # a dense layer 4096 -> 1000
    (4096, 1000)
    """
    kh, kw = _pair(kernel_size)
    in_channels, filters = _check_positive_int("in_channels", in_channels), _check_positive_int("filters", filters)
    return kh * kw * in_channels, kh * kw * filters


def dense_params(in_features: int, units: int, bias: bool = True) -> int:
    """Trainable parameters of a fully connected layer.

    >>> dense_params(400, 120)
    48120
    """
    return (_check_positive_int("in_features", in_features) + int(bias)) * _check_positive_int("units", units)


def conv_macs(output_hw, kernel_size, in_channels: int, filters: int, groups: int = 1) -> int:
    """Multiply-adds of a convolution: one ``kh * kw * C_in / groups`` dot product per output value.

    >>> conv_macs((28, 28), 3, 192, 32)      # Inception's 3x3 branch without a bottleneck
    43352064
    """
    oh, ow = _pair(output_hw, "output_hw")
    kh, kw = _pair(kernel_size)
    in_channels, filters = _check_positive_int("in_channels", in_channels), _check_positive_int("filters", filters)
    groups = _check_positive_int("groups", groups)
    return oh * ow * filters * kh * kw * (in_channels // groups)


def activation_memory(shape, batch_size: int = 1, bytes_per_value: int = 4) -> int:
    """Bytes needed to hold activations of ``shape`` (one instance) for a whole batch.

    >>> activation_memory((512, 512, 100)) / 2**20      # MiB for one image
    100.0
    """
    try:
        sizes = [_check_positive_int("each size in shape", v) for v in shape]
    except TypeError as exc:
        raise TypeError(f"shape must be a non-empty tuple of integer sizes, got {shape!r}") from exc
    if not sizes:
        raise TypeError("shape must be a non-empty tuple of integer sizes, got ()")
    return math.prod(sizes) * _check_positive_int("batch_size", batch_size) * _check_positive_int("bytes_per_value", bytes_per_value)


def model_macs(model) -> int:
    """Multiply-adds of one forward pass of a built Keras model.

    Counted: ``Conv1D``/``Conv2D`` (grouped ones ``1/groups`` of the full cost),
    ``DepthwiseConv1D``/``DepthwiseConv2D`` (``k²`` per output value), ``SeparableConv1D``/
    ``SeparableConv2D`` (the depthwise part plus the ``1 x 1`` pointwise part) and ``Dense``.
    Pooling, normalisation, activations and additions are not counted: they are
    cheap next to the convolutions and papers leave them out too.

    >>> import keras
    >>> x = keras.Input((8, 8, 16))
    >>> sep = keras.Model(x, keras.layers.SeparableConv2D(32, 3, padding="same")(x))
    >>> model_macs(sep) == 8 * 8 * 16 * 9 + 8 * 8 * 16 * 32 == conv_macs((8, 8), 3, 16, 16, groups=16) + conv_macs((8, 8), 1, 16, 32)
    True
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a built keras.Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"model {model.name!r} is not built: start it with keras.Input(shape=...) so every layer has a shape")
    total = 0
    for layer in _walk_layers(model):
        if isinstance(layer, (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)):
            out = layer.output.shape   # depthwise: one k-long dot product per (position, channel x multiplier)
            spatial, depthwise = math.prod(out[1:-1]), layer.input.shape[-1] * layer.depth_multiplier
            total += spatial * depthwise * (math.prod(layer.kernel_size) + layer.filters)
        elif isinstance(layer, (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)):
            out = layer.output.shape
            total += math.prod(out[1:]) * math.prod(layer.kernel_size)
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv1D)) and not isinstance(
            layer, (keras.layers.Conv2DTranspose, keras.layers.Conv1DTranspose)
        ):
            out = layer.output.shape
            spatial = math.prod(out[1:-1])
            in_channels = layer.input.shape[-1]
            total += spatial * out[-1] * math.prod(layer.kernel_size) * in_channels // layer.groups
        elif isinstance(layer, keras.layers.Dense):
            positions = math.prod(layer.output.shape[1:-1]) if len(layer.output.shape) > 2 else 1
            total += positions * layer.input.shape[-1] * layer.units
    return total


def _walk_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _walk_layers(layer)
        else:
            yield layer
