"""ONNX post-processing for the exporter: fp32 -> fp16 conversion and saving (with external data past 2 GB).

fp16 conversion (to_fp16).  torch 1.13 cannot trace fp16 on CPU, so graphs are exported in fp32 and converted here.
onnxconverter_common is not required: this converter is small and does what our graphs need.

  * The graph interface does not change: float inputs and outputs stay float32 (a Cast follows each float input and
    precedes each float output), int64 inputs (input_ids, attention_mask, position_ids) stay int64.  The runtime
    feeds and reads float32 whatever the dtype; the KV cache crosses the interface as float32 (lossless round trip).
  * Weights (float initializers and Constant nodes) become float16, clamped to +-65504, so that the
    finfo(float32).min used for masked attention scores becomes -65504, not -inf (a fully masked row then gives a
    uniform softmax instead of NaN).
  * Numerically sensitive nodes stay float32: Softmax, LayerNormalization, Pow and ReduceMean (RMSNorm's mean of
    squares overflows float16 for LLaMA's large activations; transformers computes it in float32 too), Cos/Sin, and
    everything computed only from integer inputs (rope angles from position_ids, masks).  A node all of whose
    non-constant float inputs are float32 stays float32 (the rest of RMSNorm's eps/sqrt/reciprocal chain); a node
    that mixes float32 and float16 inputs runs in float16, with a Cast on the float32 ones.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT, FLOAT16 = TensorProto.FLOAT, TensorProto.FLOAT16
FP16_MAX = 65504.0
# Computed in float32.  The normalisations' outputs are activations again (consumers take them as float16); the
# statistics' and angles' outputs start a float32 region (RMSNorm's eps/sqrt/reciprocal chain stays float32).
ACT_FP32_OPS = {"Softmax", "LogSoftmax", "LayerNormalization"}
STAT_FP32_OPS = {"Pow", "ReduceMean", "Cos", "Sin"}
KEEP_FP32_OPS = ACT_FP32_OPS | STAT_FP32_OPS
# Inputs whose type is not tied to the node's compute type (never cast, never counted).
TYPE_FREE_INPUTS = {"Shape": None, "Size": None, "Resize": {1, 2}, "Cast": None, "CastLike": {0},
                    "ConstantOfShape": None, "EyeLike": None}
TWO_GB = 2 ** 31


def _type_free(node, idx):
    if node.op_type not in TYPE_FREE_INPUTS:
        return False
    which = TYPE_FREE_INPUTS[node.op_type]
    return which is None or idx in which


def light_copy(model):
    """A copy without weight data (types and dims kept), for shape inference on models past 2 GB."""
    m = onnx.ModelProto()
    if _data_bytes(model) < TWO_GB // 2:
        m.CopyFrom(model)
    else:
        _copy_stripped(model, m)
    return m


def _copy_stripped(model, m):
    m.CopyFrom(onnx.ModelProto())
    m.ir_version, m.producer_name = model.ir_version, model.producer_name
    m.opset_import.extend(model.opset_import)
    g = m.graph
    g.name = model.graph.name
    g.input.extend(model.graph.input)
    g.output.extend(model.graph.output)
    g.value_info.extend(model.graph.value_info)
    g.node.extend(model.graph.node)
    for t in model.graph.initializer:
        s = TensorProto()
        s.name, s.data_type = t.name, t.data_type
        s.dims.extend(t.dims)
        g.initializer.append(s)  # no data: inference needs types and shapes only


def _data_bytes(model):
    return sum(len(t.raw_data) + 4 * len(t.float_data) + 8 * len(t.int64_data) for t in model.graph.initializer)


def elem_types(model):
    """name -> TensorProto elem type for every tensor in the graph (after shape inference)."""
    inferred = onnx.shape_inference.infer_shapes(light_copy(model))
    types = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type:
            types[vi.name] = vi.type.tensor_type.elem_type
    for t in model.graph.initializer:
        types[t.name] = t.data_type
    for n in model.graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    types[n.output[0]] = a.t.data_type
    return types


def _to_fp16_array(arr):
    return np.clip(arr.astype(np.float32), -FP16_MAX, FP16_MAX).astype(np.float16)


def to_fp16(model, keep_fp32_ops=KEEP_FP32_OPS):
    """Converts an fp32 ModelProto to mixed fp16 in place (see the module doc) and returns it."""
    g = model.graph
    for n in g.node:
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in n.attribute):
            raise NotImplementedError(f"node {n.name} ({n.op_type}) has a subgraph; not supported")
    types = elem_types(model)
    consts = {t.name: t for t in g.initializer if t.data_type == FLOAT}
    const_nodes = {n.output[0]: n for n in g.node if n.op_type == "Constant" and types.get(n.output[0]) == FLOAT}
    is_const = lambda name: name in consts or name in const_nodes  # noqa: E731

    # pass 1: which nodes stay float32; physical type (native) and region (f32 or act) of each float tensor
    native, region, node_prec, const_needs = {}, {}, [], {}
    for i in g.input:
        if types.get(i.name) == FLOAT and i.name not in consts:
            native[i.name], region[i.name] = FLOAT, "act"  # an activation, physically float32
    for n in g.node:
        if n.op_type == "Constant" and n.output[0] in const_nodes:
            node_prec.append("const")
            continue
        f_in = [(k, x) for k, x in enumerate(n.input) if x and types.get(x) == FLOAT and not _type_free(n, k)]
        f_out = [x for x in n.output if x and types.get(x) == FLOAT]
        dyn = [x for _, x in f_in if not is_const(x)]
        if not f_in and not f_out:
            prec = "none"
        elif n.op_type == "Cast":
            prec = "none"  # keeps its 'to'; an explicit Cast to float32 starts a float32 region
        elif n.op_type in keep_fp32_ops:
            prec = "fp32"
        elif not dyn:
            # weights only (an embedding table gathered by ids): an activation; nothing float at all going in
            # (ConstantOfShape, Range): computed from integers, like the rope angles and masks, so float32
            prec = "fp16" if f_in else "fp32"
        elif all(region.get(x) == "f32" for x in dyn):
            prec = "fp32"
        else:
            prec = "fp16"
        node_prec.append(prec)
        for _, x in f_in:
            if is_const(x):
                const_needs.setdefault(x, set()).add(FLOAT if prec in ("fp32", "none") else FLOAT16)
        for x in f_out:
            if prec == "fp16":
                native[x], region[x] = FLOAT16, "act"
            elif n.op_type == "Cast" and types.get(n.input[0]) == FLOAT:
                native[x], region[x] = FLOAT, region.get(n.input[0], "act")  # float->float: same region
            elif n.op_type in ACT_FP32_OPS:
                native[x], region[x] = FLOAT, "act"
            else:
                native[x], region[x] = FLOAT, "f32"
    # float graph outputs that come straight from a constant or graph input need nothing; others may need a Cast

    # constants: convert in place when only float16 is needed, else add a float16 twin
    fp16_name = {}
    for name, needs in const_needs.items():
        if FLOAT16 not in needs:
            continue
        twin = name if needs == {FLOAT16} else name + "__fp16"
        fp16_name[name] = twin
        if name in consts:
            t = consts[name]
            arr = _to_fp16_array(numpy_helper.to_array(t))
            new = numpy_helper.from_array(arr, twin)
            if twin == name:
                t.CopyFrom(new)
            else:
                g.initializer.append(new)
        else:
            node = const_nodes[name]
            val = next(a for a in node.attribute if a.name == "value")
            arr = _to_fp16_array(numpy_helper.to_array(val.t))
            if twin == name:
                val.t.CopyFrom(numpy_helper.from_array(arr))
            else:
                const_nodes[twin] = helper.make_node("Constant", [], [twin], value=numpy_helper.from_array(arr),
                                                     name=(node.name or twin) + "__fp16")

    # pass 2: rewrite with Casts where a node's compute type differs from an input's physical type
    out_names = {o.name for o in g.output if types.get(o.name) == FLOAT}
    renamed = {}  # graph outputs produced in float16: producer writes name__fp16, a Cast writes name
    for n, prec in zip(g.node, node_prec):
        if prec == "fp16":
            for x in n.output:
                if x in out_names and native.get(x) == FLOAT16:
                    renamed[x] = x + "__fp16"
    casts, new_nodes = {}, []

    def cast(x, to):
        key = (x, to)
        if key not in casts:
            y = f"{x}__to{'16' if to == FLOAT16 else '32'}"
            new_nodes.append(helper.make_node("Cast", [renamed.get(x, x)], [y], to=to, name=y))
            casts[key] = y
        return casts[key]

    for orig, prec in zip(g.node, node_prec):
        n = onnx.NodeProto()
        n.CopyFrom(orig)
        if prec == "const":
            new_nodes.append(n)
            twin = fp16_name.get(n.output[0])
            if twin == n.output[0]:  # converted in place: take the converted attribute
                n.CopyFrom(const_nodes[twin])
            elif twin:
                new_nodes.append(const_nodes[twin])
            continue
        want = FLOAT16 if prec == "fp16" else FLOAT
        for k, x in enumerate(n.input):
            if not x or types.get(x) != FLOAT or _type_free(n, k) or prec == "none":
                if x in renamed:
                    n.input[k] = renamed[x]
                continue
            if is_const(x):
                if want == FLOAT16:
                    n.input[k] = fp16_name[x]
                continue
            n.input[k] = x if native[x] == want else cast(x, want)
            if n.input[k] in renamed:
                n.input[k] = renamed[n.input[k]]
        for k, x in enumerate(n.output):
            if x in renamed:
                n.output[k] = renamed[x]
        new_nodes.append(n)
    for x, r in renamed.items():
        new_nodes.append(helper.make_node("Cast", [r], [x], to=FLOAT, name=x + "__to32"))
    # a float output that is a float16 constant (converted in place) would change the interface; not in our graphs
    for o in g.output:
        if o.name in fp16_name and fp16_name[o.name] == o.name:
            raise NotImplementedError(f"graph output {o.name} is a constant")
    del g.node[:]
    g.node.extend(new_nodes)
    del g.value_info[:]  # stale types; re-inferred by whoever needs them
    return model


def save(model, path, external=None):
    """Saves model to path; past 2 GB (or external=True) the weights go to <file>_data beside it."""
    for p in (path, path + "_data"):
        if os.path.exists(p):
            os.remove(p)
    if external is None:
        external = _data_bytes(model) > TWO_GB - 64 * 2 ** 20
    if external:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + "_data", size_threshold=1024)
        onnx.checker.check_model(path)
    else:
        onnx.checker.check_model(model)
        onnx.save_model(model, path)


def finalize(tmp_path, final_path, dtype="fp32", external=None, log=print):
    """Loads a freshly exported graph (and its per-weight external files), converts to fp16 if asked, and saves it
    as one .onnx (plus one .onnx_data when large)."""
    model = onnx.load(tmp_path, load_external_data=True)
    if dtype == "fp16":
        to_fp16(model)
    elif dtype != "fp32":
        raise ValueError(f"dtype {dtype!r}")
    save(model, final_path, external)
    size = os.path.getsize(final_path) + (os.path.getsize(final_path + "_data")
                                          if os.path.exists(final_path + "_data") else 0)
    log(f"  wrote {final_path} ({dtype}, {size / 2 ** 20:.1f} MiB)")
    return final_path


def signature(path_or_model):
    """{'inputs'|'outputs': [(name, elem_type, [dim_param or int, ...])]} of a graph, for checks."""
    m = path_or_model if isinstance(path_or_model, onnx.ModelProto) else onnx.load(path_or_model,
                                                                                  load_external_data=False)

    def dims(vi):
        return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]

    return {"inputs": [(i.name, i.type.tensor_type.elem_type, dims(i)) for i in m.graph.input],
            "outputs": [(o.name, o.type.tensor_type.elem_type, dims(o)) for o in m.graph.output]}
