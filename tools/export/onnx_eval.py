"""A small numpy interpreter for the ONNX ops that our exported graphs use (opset 17), for tests on machines without
onnxruntime.  It is strict where a real runtime is strict: elementwise ops refuse mixed float types (a broken fp16
conversion fails here as it would in onnxruntime), and unknown ops raise.  float16 graphs are computed in float16
(numpy), which is noisier than a GPU's float32 accumulation: tolerances in tests should allow for that.
"""
import math

import numpy as np
import onnx
from onnx import numpy_helper

DTYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.FLOAT16: np.float16,
          onnx.TensorProto.DOUBLE: np.float64, onnx.TensorProto.INT64: np.int64, onnx.TensorProto.INT32: np.int32,
          onnx.TensorProto.BOOL: np.bool_, onnx.TensorProto.INT8: np.int8, onnx.TensorProto.UINT8: np.uint8}
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _same_float(node, *xs):
    kinds = {x.dtype for x in xs if np.issubdtype(x.dtype, np.floating)}
    if len(kinds) > 1:
        raise TypeError(f"{node.op_type} {node.name}: mixed float inputs {kinds}")


def _axis_list(v, rank):
    return [int(a) + rank if int(a) < 0 else int(a) for a in np.atleast_1d(v)]


def _binary(fn):
    def run(node, a, x, y):
        _same_float(node, x, y)
        return [fn(x, y)]
    return run


def _div(node, a, x, y):
    _same_float(node, x, y)
    if np.issubdtype(x.dtype, np.integer):
        return [(np.trunc(x / y)).astype(x.dtype)]
    return [x / y]


def _reshape(node, a, x, shape):
    shape = [int(s) for s in shape]
    if not a.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return [x.reshape(shape)]


def _slice(node, a, x, starts, ends, axes=None, steps=None):
    axes = list(range(len(starts))) if axes is None else _axis_list(axes, x.ndim)
    steps = [1] * len(starts) if steps is None else steps
    sl = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        n = x.shape[ax]
        s, e = int(s), int(e)
        s = max(min(s + n if s < 0 else s, n), 0)
        e = max(min(e + n if e < 0 else e, n), -1 if st < 0 else 0)
        sl[ax] = slice(s, e if e >= 0 else None, int(st))
    return [x[tuple(sl)]]


def _unsqueeze(node, a, x, axes):
    rank = x.ndim + len(axes)
    for ax in sorted(_axis_list(axes, rank)):
        x = np.expand_dims(x, ax)
    return [x]


def _squeeze(node, a, x, axes=None):
    return [np.squeeze(x) if axes is None else np.squeeze(x, axis=tuple(_axis_list(axes, x.ndim)))]


def _shape(node, a, x):
    s = np.array(x.shape, dtype=np.int64)
    return [s[a.get("start", 0):a.get("end", None)]]


def _expand(node, a, x, shape):
    out = np.broadcast_shapes(x.shape, tuple(int(s) for s in shape))
    return [np.broadcast_to(x, out).copy()]


def _concat(node, a, *xs):
    _same_float(node, *xs)
    return [np.concatenate(xs, axis=a["axis"])]


def _gather(node, a, x, idx):
    ax = a.get("axis", 0)
    idx = np.where(idx < 0, idx + x.shape[ax], idx)
    return [np.take(x, idx, axis=ax)]


def _gather_elements(node, a, x, idx):
    ax = a.get("axis", 0)
    idx = np.where(idx < 0, idx + x.shape[ax], idx)
    return [np.take_along_axis(x, idx, axis=ax)]


def _matmul(node, a, x, y):
    _same_float(node, x, y)
    return [np.matmul(x, y)]


def _softmax(node, a, x):
    ax = a.get("axis", -1)
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    return [(e / e.sum(axis=ax, keepdims=True)).astype(x.dtype)]


def _layer_norm(node, a, x, scale, bias=None):
    _same_float(node, x, scale, *([] if bias is None else [bias]))
    ax = a.get("axis", -1)
    axes = tuple(range(ax + x.ndim if ax < 0 else ax, x.ndim))
    stash = np.float32 if a.get("stash_type", 1) == 1 else x.dtype
    xf = x.astype(stash)
    mean = xf.mean(axis=axes, keepdims=True)
    var = ((xf - mean) ** 2).mean(axis=axes, keepdims=True)
    y = ((xf - mean) / np.sqrt(var + a.get("epsilon", 1e-5))).astype(x.dtype) * scale
    return [y + bias if bias is not None else y]


def _reduce(fn):
    def run(node, a, x, axes=None):
        if "axes" in a:
            axes = a["axes"]
        keep = bool(a.get("keepdims", 1))
        if axes is None or len(np.atleast_1d(axes)) == 0:
            if a.get("noop_with_empty_axes", 0):
                return [x]
            return [np.asarray(fn(x, axis=None, keepdims=keep)).astype(x.dtype)]
        return [np.asarray(fn(x, axis=tuple(_axis_list(axes, x.ndim)), keepdims=keep)).astype(x.dtype)]
    return run


def _cumsum(node, a, x, axis):
    ax = int(np.asarray(axis).reshape(-1)[0])
    if a.get("reverse", 0):
        x = np.flip(x, ax)
    y = np.cumsum(x, axis=ax, dtype=x.dtype)
    if a.get("exclusive", 0):
        y = y - x
    return [np.flip(y, ax) if a.get("reverse", 0) else y]


def _argmax(node, a, x):
    ax = a.get("axis", 0)
    if a.get("select_last_index", 0):
        r = x.shape[ax] - 1 - np.argmax(np.flip(x, ax), axis=ax)
    else:
        r = np.argmax(x, axis=ax)
    r = r.astype(np.int64)
    return [np.expand_dims(r, ax) if a.get("keepdims", 1) else r]


def _conv(node, a, x, w, b=None):
    _same_float(node, x, w)
    if a.get("group", 1) != 1 or any(p != 0 for p in a.get("pads", [0, 0, 0, 0])) or any(
            d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("Conv: only group 1, no padding, no dilation")
    sh, sw = a.get("strides", [1, 1])
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    y = np.zeros((n, o, oh, ow), dtype=np.float32)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw].astype(np.float32)  # [N,C,oh,ow]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j].astype(np.float32))
    y = y.astype(x.dtype)
    return [y + b.reshape(1, -1, 1, 1) if b is not None else y]


def _cast(node, a, x):
    return [x.astype(DTYPES[a["to"]])]


def _constant_of_shape(node, a, shape):
    v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
    return [np.full(tuple(int(s) for s in shape), v.reshape(-1)[0], dtype=v.dtype)]


def _where(node, a, c, x, y):
    _same_float(node, x, y)
    return [np.where(c, x, y)]


def _unary(fn):
    def run(node, a, x):
        return [np.asarray(fn(x)).astype(x.dtype)]
    return run


def _range(node, a, start, limit, delta):
    return [np.arange(start, limit, delta).astype(np.asarray(start).dtype)]


OPS = {
    "Add": _binary(np.add), "Sub": _binary(np.subtract), "Mul": _binary(np.multiply), "Div": _div,
    "Pow": _binary(np.power), "Equal": _binary(np.equal), "Greater": _binary(np.greater),
    "Less": _binary(np.less), "LessOrEqual": _binary(np.less_equal), "GreaterOrEqual": _binary(np.greater_equal),
    "And": _binary(np.logical_and), "Or": _binary(np.logical_or), "Not": _unary(np.logical_not),
    "Neg": _unary(np.negative), "Sqrt": _unary(np.sqrt), "Reciprocal": _unary(np.reciprocal),
    "Cos": _unary(np.cos), "Sin": _unary(np.sin), "Exp": _unary(np.exp), "Tanh": _unary(np.tanh),
    "Sigmoid": _unary(lambda x: 1 / (1 + np.exp(-x))), "Erf": _unary(_erf), "Relu": _unary(lambda x: np.maximum(x, 0)),
    "Identity": lambda n, a, x: [x], "MatMul": _matmul, "Reshape": _reshape, "Slice": _slice,
    "Unsqueeze": _unsqueeze, "Squeeze": _squeeze, "Shape": _shape, "Expand": _expand, "Concat": _concat,
    "Gather": _gather, "GatherElements": _gather_elements, "Transpose": lambda n, a, x: [np.transpose(x, a.get("perm"))],
    "Softmax": _softmax, "LayerNormalization": _layer_norm, "ReduceMean": _reduce(np.mean),
    "ReduceSum": _reduce(np.sum), "ReduceMax": _reduce(np.max), "CumSum": _cumsum, "ArgMax": _argmax,
    "Conv": _conv, "Cast": _cast, "ConstantOfShape": _constant_of_shape, "Where": _where, "Range": _range,
    "Size": lambda n, a, x: [np.array(x.size, dtype=np.int64)],
}


def run(model, feeds, outputs=None):
    """Evaluates model (a ModelProto or path) on feeds {name: array}; returns {output name: array}."""
    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(model)
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for i in model.graph.input:
        if i.name in env:
            continue
        x = np.asarray(feeds[i.name])
        want = DTYPES[i.type.tensor_type.elem_type]
        if x.dtype != want:
            raise TypeError(f"input {i.name}: {x.dtype}, the graph wants {np.dtype(want)}")
        dims = i.type.tensor_type.shape.dim
        if len(dims) != x.ndim or any(d.dim_value and d.dim_value != s for d, s in zip(dims, x.shape)):
            raise ValueError(f"input {i.name}: shape {x.shape} does not fit the graph's")
        env[i.name] = x
    for node in model.graph.node:
        a = _attrs(node)
        if node.op_type == "Constant":
            env[node.output[0]] = numpy_helper.to_array(a["value"])
            continue
        if node.op_type not in OPS:
            raise NotImplementedError(f"op {node.op_type}")
        args = [env[x] if x else None for x in node.input]
        while args and args[-1] is None:
            args.pop()
        res = OPS[node.op_type](node, a, *args)
        for name, val in zip(node.output, res):
            if name:
                env[name] = np.asarray(val)
    names = outputs or [o.name for o in model.graph.output]
    return {n: env[n] for n in names}
