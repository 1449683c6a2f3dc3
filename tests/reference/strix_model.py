"""Writes .strix model files from Python, independently of the C++ writer.

Layout (sdk/schema/strix.fbs):
    [u32 size][FlatBuffer of `size` bytes, identifier "STRX"][pad to 64][data segment]
Every constant buffer starts at a 64-byte aligned offset relative to the data segment start;
Tensor.buffer is 1-based into Model.buffers (0 = computed at run time); schema_version = 1.

Usage (PYTHONPATH must hold <build>/generated/python, where flatc puts the strix.fb module):

    m = ModelWriter()
    x = m.input("x", np.float32, [1, 3, 13, 17])
    w = m.constant("w", weights)                          # dtype from the array
    y = m.tensor("y", np.float32, [1, 8, 13, 17])
    m.node("conv", "Conv2D", [x, w, -1], [y],
           options=("Conv2DOptions", {"kernel": [3, 3], "pads": [1, 1, 1, 1],
                                      "activation": {"kind": "Relu"}}))
    m.output(y)
    m.metadata(task="Classify", labels=["a", "b"], producer="me")
    m.save("model.strix")

Options tables are given as (table name, dict). Dict keys are the schema's field names;
values are Python scalars, enum names (or numbers), lists for vectors and dicts for nested
tables. Field types are read from the schema itself, so every options table is supported.
Quantization: quant={"scale": [...], "zero_point": [...], "axis": 0} (scalars accepted).
"""

import importlib
import os
import re

import flatbuffers
import numpy as np

SCHEMA_VERSION = 1
FILE_IDENTIFIER = b"STRX"
ALIGN = 64

_HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_PATH = os.path.join(_HERE, "..", "..", "sdk", "schema", "strix.fbs")

# numpy dtype -> strix.fb.DType value.
_DTYPES = {
    np.dtype(np.float32): 0,
    np.dtype(np.float16): 1,
    np.dtype(np.int8): 2,
    np.dtype(np.uint8): 3,
    np.dtype(np.int32): 4,
}
# Element types of vector fields -> numpy dtype.
_VECTOR_TYPES = {
    "int": np.int32, "int32": np.int32, "long": np.int64, "int64": np.int64,
    "float": np.float32, "float32": np.float32, "double": np.float64,
    "ubyte": np.uint8, "uint8": np.uint8, "byte": np.int8, "int8": np.int8,
    "uint": np.uint32, "ulong": np.uint64, "short": np.int16, "ushort": np.uint16,
    "bool": np.bool_,
}
_SCALARS = {"bool", "byte", "ubyte", "short", "ushort", "int", "uint", "long", "ulong",
            "float", "double", "int8", "uint8", "int16", "uint16", "int32", "uint32",
            "int64", "uint64", "float32", "float64"}


def dtype_code(dtype):
    d = np.dtype(dtype)
    if d not in _DTYPES:
        raise ValueError(f"dtype {d} has no strix.fb.DType")
    return _DTYPES[d]


class Schema:
    """The tables, enums and unions of strix.fbs (field names, types, order)."""

    def __init__(self, path=SCHEMA_PATH):
        with open(path, encoding="utf-8") as f:
            text = re.sub(r"//[^\n]*", "", f.read())
        self.tables = {}
        for name, body in re.findall(r"\b(?:table|struct)\s+(\w+)\s*\{(.*?)\}", text, re.S):
            fields = []
            for fname, ftype in re.findall(r"(\w+)\s*:\s*(\[?\w+\]?)", body):
                fields.append((fname, ftype))
            self.tables[name] = fields
        self.enums = {}
        for name, body in re.findall(r"\benum\s+(\w+)\s*:\s*\w+\s*\{(.*?)\}", text, re.S):
            values, nxt = {}, 0
            for item in body.split(","):
                item = item.strip()
                if not item:
                    continue
                if "=" in item:
                    k, v = item.split("=")
                    nxt = int(v.strip(), 0)
                    item = k.strip()
                values[item] = nxt
                nxt += 1
            self.enums[name] = values
        self.unions = {}
        for name, body in re.findall(r"\bunion\s+(\w+)\s*\{(.*?)\}", text, re.S):
            members = [m.strip() for m in body.split(",") if m.strip()]
            self.unions[name] = {m: i + 1 for i, m in enumerate(members)}

    def enum_value(self, enum, value):
        if isinstance(value, str):
            if value not in self.enums[enum]:
                raise ValueError(f"{enum} has no value '{value}' (has {list(self.enums[enum])})")
            return self.enums[enum][value]
        return int(value)


_SCHEMA = None


def schema():
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = Schema()
    return _SCHEMA


def _camel(name):
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def _module(table):
    return importlib.import_module(f"strix.fb.{table}")


def build_table(b, table, values):
    """Builds table `table` of the schema from a dict; returns its offset."""
    s = schema()
    if table not in s.tables:
        raise ValueError(f"the schema has no table '{table}'")
    fields = dict(s.tables[table])
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"{table} has no field(s) {sorted(unknown)}; fields: {list(fields)}")
    mod = _module(table)
    # Offsets (vectors, strings, sub-tables) must be built before the table starts.
    prepared = []
    for fname, ftype in s.tables[table]:
        if fname not in values or values[fname] is None:
            continue
        v = values[fname]
        add = getattr(mod, f"{table}Add{_camel(fname)}")
        if ftype.startswith("["):
            elem = ftype[1:-1]
            prepared.append((add, _build_vector(b, table, fname, elem, v)))
        elif ftype == "string":
            prepared.append((add, b.CreateString(str(v))))
        elif ftype in _SCALARS:
            if ftype == "bool":
                v = bool(v)
            elif ftype in ("float", "double", "float32", "float64"):
                v = float(v)
            else:
                v = int(v)
            prepared.append((add, v))
        elif ftype in s.enums:
            prepared.append((add, s.enum_value(ftype, v)))
        elif ftype in s.unions:
            kind, body = v
            if kind not in s.unions[ftype]:
                raise ValueError(f"union {ftype} has no member '{kind}'")
            sub = build_table(b, kind, body)
            add_type = getattr(mod, f"{table}Add{_camel(fname)}Type")
            prepared.append((add_type, s.unions[ftype][kind]))
            prepared.append((add, sub))
        elif ftype in s.tables:
            prepared.append((add, build_table(b, ftype, v)))
        else:
            raise ValueError(f"{table}.{fname}: unknown type {ftype}")
    getattr(mod, f"{table}Start")(b)
    for add, v in prepared:
        add(b, v)
    return getattr(mod, f"{table}End")(b)


def _build_vector(b, table, fname, elem, values):
    s = schema()
    if elem in _VECTOR_TYPES:
        arr = np.asarray(values, dtype=_VECTOR_TYPES[elem]).reshape(-1)
        return b.CreateNumpyVector(arr)
    mod = _module(table)
    start = getattr(mod, f"{table}Start{_camel(fname)}Vector")
    if elem == "string":
        offs = [b.CreateString(str(x)) for x in values]
    elif elem == "Buffer":  # the one struct: (offset, size) pairs
        start(b, len(values))
        for off, size in reversed(values):
            _module("Buffer").CreateBuffer(b, off, size)
        return b.EndVector()
    elif elem in s.tables:
        offs = [build_table(b, elem, x) for x in values]
    elif elem in s.enums:
        arr = np.asarray([s.enum_value(elem, x) for x in values], dtype=np.int8)
        return b.CreateNumpyVector(arr)
    else:
        raise ValueError(f"{table}.{fname}: unknown vector element type {elem}")
    start(b, len(offs))
    for o in reversed(offs):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def _quant_dict(quant):
    if quant is None:
        return None
    if isinstance(quant, (tuple, list)):
        quant = {"scale": quant[0], "zero_point": quant[1]} | (
            {"axis": quant[2]} if len(quant) > 2 else {})
    scale = np.atleast_1d(np.asarray(quant["scale"], dtype=np.float32))
    zp = np.atleast_1d(np.asarray(quant.get("zero_point", 0), dtype=np.int64))
    if zp.size == 1 and scale.size > 1:
        zp = np.repeat(zp, scale.size)
    return {"scale": scale, "zero_point": zp, "axis": int(quant.get("axis", 0))}


class ModelWriter:
    """Collects tensors, nodes and metadata; save() writes the .strix file."""

    def __init__(self, description=""):
        self.tensors = []      # dicts of the Tensor table
        self.nodes = []        # dicts of the Node table
        self.inputs = []
        self.outputs = []
        self.buffers = []      # (offset, size) into the data segment
        self.data = bytearray()
        self.meta = {}
        self.description = description
        self.schema_version = SCHEMA_VERSION

    # ---- tensors ------------------------------------------------------------------------
    def tensor(self, name, dtype, shape, quant=None):
        self.tensors.append({
            "name": name,
            "dtype": dtype_code(dtype),
            "shape": [int(d) for d in shape],
            "buffer": 0,
            "quantization": _quant_dict(quant),
        })
        return len(self.tensors) - 1

    def input(self, name, dtype, shape, quant=None):
        t = self.tensor(name, dtype, shape, quant)
        self.inputs.append(t)
        return t

    def constant(self, name, array, dtype=None, quant=None):
        """A constant tensor; `array` is converted to `dtype` (default: its own dtype)."""
        a = np.asarray(array)
        if dtype is not None:
            a = a.astype(dtype)
        a = np.asarray(a, order="C")  # keeps rank 0 (ascontiguousarray would not)
        t = self.tensor(name, a.dtype, a.shape, quant)
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        offset = (len(self.data) + ALIGN - 1) // ALIGN * ALIGN
        self.data.extend(b"\0" * (offset - len(self.data)))
        self.data.extend(raw)
        self.buffers.append((offset, len(raw)))
        self.tensors[t]["buffer"] = len(self.buffers)  # 1-based
        return t

    def output(self, t):
        self.outputs.append(t)

    def shape(self, t):
        return list(self.tensors[t]["shape"])

    # ---- nodes --------------------------------------------------------------------------
    def node(self, name, op, inputs, outputs, options=None, source_nodes=None, custom=None):
        """op: OpType name or value; options: (options table name, dict) or None."""
        n = {
            "name": name,
            "op": schema().enum_value("OpType", op),
            "inputs": [int(i) for i in inputs],
            "outputs": [int(o) for o in outputs],
        }
        if options is not None:
            n["options"] = (options[0], dict(options[1]))
        if source_nodes:
            n["source_nodes"] = list(source_nodes)
        if custom is not None:
            n["custom"] = np.frombuffer(bytes(custom), dtype=np.uint8)
        self.nodes.append(n)
        return len(self.nodes) - 1

    # ---- metadata -----------------------------------------------------------------------
    def metadata(self, task=None, labels=None, inputs=None, postprocess=None, producer=None,
                 producer_version=None, provenance=None, extra=None, description=None):
        """inputs: list of InputContract dicts; postprocess/provenance: dicts of those tables;
        extra: dict of strings."""
        if task is not None:
            self.meta["task"] = task
        if labels is not None:
            self.meta["labels"] = list(labels)
        if inputs is not None:
            self.meta["inputs"] = list(inputs)
        if postprocess is not None:
            self.meta["postprocess"] = dict(postprocess)
        if producer is not None:
            self.meta["producer"] = producer
        if producer_version is not None:
            self.meta["producer_version"] = producer_version
        if provenance is not None:
            self.meta["provenance"] = dict(provenance)
        if extra is not None:
            self.meta["extra"] = [{"key": k, "value": v} for k, v in extra.items()]
        if description is not None:
            self.description = description

    # ---- output -------------------------------------------------------------------------
    def to_bytes(self):
        b = flatbuffers.Builder(4096)
        model = {
            "schema_version": self.schema_version,
            "graph": {
                "tensors": self.tensors,
                "nodes": self.nodes,
                "inputs": self.inputs,
                "outputs": self.outputs,
            },
            "buffers": self.buffers,
            "metadata": self.meta,
            "description": self.description,
        }
        root = build_table(b, "Model", model)
        b.FinishSizePrefixed(root, FILE_IDENTIFIER)
        fbuf = bytes(b.Output())
        head = fbuf + b"\0" * ((-len(fbuf)) % ALIGN)
        return head + bytes(self.data)

    def save(self, path):
        data = self.to_bytes()
        with open(path, "wb") as f:
            f.write(data)
        return len(data)


def read_header(data):
    """(flatbuffer size, data segment offset) of a .strix image, for checks."""
    size = int.from_bytes(data[:4], "little")
    if data[8:12] != FILE_IDENTIFIER:
        raise ValueError("not a .strix file (identifier)")
    return size, (4 + size + ALIGN - 1) // ALIGN * ALIGN
