#!/usr/bin/python3
"""Strix vs ONNX Runtime layer by layer on the CPU: where a model's time goes in each runtime.

For one model, batch and thread count the script alternates, for --rounds rounds (the order
flips every round), tests/bench/strix_profile on the .strix model (per-kernel medians) and an
ONNX Runtime session with SessionOptions.enable_profiling (CPUExecutionProvider, all graph
optimizations, intra-op threads = --threads, inter-op 1, sequential; its JSON profile's
"<node>_kernel_time" events, warm-up runs dropped, per-node medians). Each side's time per
node is the median over the rounds of the round's median.

Both runtimes fuse, differently, so their kernels are mapped onto the ONNX graph: a kernel is
resolved to an ONNX node (Strix: the node name it prints, e.g. the Conv's; ORT: the node
name, or the output tensor "<tensor>_nchwc" of its NCHWc kernels, or "<node>/<Fusion>/" of
its fusions) and then to its layer, the Conv / Gemm / MatMul upstream of it through
activations, BatchNormalization and swish (x * Sigmoid(x)). A Conv that runs a residual Add
(Strix "Conv2D+Add", ORT Conv with a 4th "Sum" input) takes the Add into its layer; where the
two runtimes fuse the same Add into different Convs (ResNet-50's conv3 / downsample), both
Convs become one row. Kernels that are not in a layer (pools, Concat, the SE scale Mul, ORT's
NCHWc ReorderInput / ReorderOutput) are lumped per op type: "other: MaxPool (3)".

It prints one table sorted by delta = Strix ms - ORT ms (where Strix loses most first), the
totals (sum of node medians and each runtime's own median per run), the share of the loss in
the top rows, and the same deltas summed by layer kind (1x1, kxk, depthwise, FC, other).

  /usr/bin/python3 tests/bench/layer_vs_ort.py --build build/release \\
      --ort-python .venv/bin/python --model resnet50 --batch 8 --threads 1 [--markdown]

Models: WORKDIR/MODEL.onnx and WORKDIR/MODEL.strix, as tests/bench/bench_vs_ort.py makes them.
With --threads 1 Strix's per-node times are the thread's CPU time (strix_profile), ORT's are
wall time; measure on a quiet machine (the script prints /proc/loadavg before each round).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_vs_ort import ROOT, ort_once, run, strix_once  # noqa: E402

LAYER_OPS = {"Conv", "Gemm", "MatMul"}
# Ops that follow their input's layer (an activation or a folded affine after a conv).
EPILOGUE_OPS = {"Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "LeakyRelu", "Tanh",
                "Elu", "Selu", "Softplus", "PRelu", "BatchNormalization"}


# ---- the ONNX graph -----------------------------------------------------------------------

class Graph:
    """The nodes of an ONNX graph: name -> {"op", "inputs", "outputs", "attrs", "weight"}
    (weight: the shape of input 1 where it is an initializer), plus tensor -> producer and
    tensor -> consumers maps. Nodes without a name get "<op>_<index>"."""

    def __init__(self, nodes):
        self.nodes = {}
        self.order = []
        self.producer = {}
        self.consumers = {}
        for i, n in enumerate(nodes):
            name = n.get("name") or "%s_%d" % (n["op"], i)
            node = {"op": n["op"], "inputs": list(n.get("inputs", [])),
                    "outputs": list(n.get("outputs", [])), "attrs": dict(n.get("attrs", {})),
                    "weight": n.get("weight")}
            self.nodes[name] = node
            self.order.append(name)
            for t in node["outputs"]:
                self.producer[t] = name
            for t in node["inputs"]:
                self.consumers.setdefault(t, []).append(name)


def load_graph(onnx_path):
    """Graph of an ONNX file (needs the onnx package: Debian's python3-onnx)."""
    import onnx
    model = onnx.load(onnx_path, load_external_data=False)
    inits = {t.name: list(t.dims) for t in model.graph.initializer}
    nodes = []
    for n in model.graph.node:
        attrs = {}
        for a in n.attribute:
            if a.type == onnx.AttributeProto.INT:
                attrs[a.name] = a.i
            elif a.type == onnx.AttributeProto.INTS:
                attrs[a.name] = list(a.ints)
        weight = inits.get(n.input[1]) if len(n.input) > 1 else None
        nodes.append({"name": n.name, "op": n.op_type, "inputs": list(n.input),
                      "outputs": list(n.output), "attrs": attrs, "weight": weight})
    return Graph(nodes)


def is_swish_mul(g, name):
    """x * Sigmoid(x): the Mul of a SiLU."""
    n = g.nodes[name]
    if n["op"] != "Mul" or len(n["inputs"]) != 2:
        return None
    for x, s in (n["inputs"], n["inputs"][::-1]):
        p = g.producer.get(s)
        if p and g.nodes[p]["op"] == "Sigmoid" and g.nodes[p]["inputs"][0] == x:
            return x
    return None


def anchor(g, name):
    """The node whose row `name` belongs to: the Conv / Gemm / MatMul upstream through
    epilogue ops and swish Muls, else the first non-epilogue node up the chain."""
    seen = set()
    while name not in seen:
        seen.add(name)
        n = g.nodes[name]
        if n["op"] in LAYER_OPS:
            return name
        x = n["inputs"][0] if n["op"] in EPILOGUE_OPS and n["inputs"] else is_swish_mul(g, name)
        p = g.producer.get(x) if x else None
        if p is None:
            return name
        name = p
    return name


def fused_add(g, conv):
    """The residual Add that consumes `conv`'s output (through epilogue ops), or None."""
    frontier = list(g.nodes[conv]["outputs"])
    for _ in range(4):
        nxt = []
        for t in frontier:
            for c in g.consumers.get(t, []):
                op = g.nodes[c]["op"]
                if op == "Add":
                    return c
                if op in EPILOGUE_OPS or is_swish_mul(g, c):
                    nxt += g.nodes[c]["outputs"]
        frontier = nxt
    return None


def resolve(g, name):
    """The ONNX node an ORT or Strix kernel name stands for, or None (ORT's Reorder nodes).
    Tries: a node name; a tensor name (its producer), also without the "_nchwc" suffix of
    ORT's NCHWc kernels; then the name with trailing "/part"s removed (ORT's
    "<node>/QuickGeluFusion/")."""
    for cand in (name, name[:-len("_nchwc")] if name.endswith("_nchwc") else None):
        if cand is None:
            continue
        if cand in g.nodes:
            return cand
        if cand in g.producer:
            return g.producer[cand]
    parts = name.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        cand = "/".join(parts)
        if cand in g.nodes:
            return cand
    return None


# ---- the two profiles -----------------------------------------------------------------------

STRIX_LINE = re.compile(r"^\s*([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)%\s+(\S+)\s+(\S+)\s+(\S+)\s+"
                        r"(.*?)\s*(\[[0-9x]*\])?\s*$")


def parse_strix_profile(text):
    """strix_profile's output (run with --top larger than the kernel count) ->
    ({kernel name: {"ms", "op", "kernel", "shape"}}, median total ms per run)."""
    nodes, total = {}, float("nan")
    m = re.search(r"median total ([0-9.]+) ms", text)
    if m:
        total = float(m.group(1))
    started = False
    for line in text.splitlines():
        if line.lstrip().startswith("ms ") and "node / output shape" in line:
            started = True
            continue
        if not started:
            continue
        m = STRIX_LINE.match(line)
        if not m:
            if line.startswith("by op:"):
                break
            continue
        name = m.group(7)
        shape = m.group(8)[1:-1].split("x") if m.group(8) else []
        key, k = name, 2
        while key in nodes:  # two kernels of one node (never seen so far): keep both
            key, k = "%s#%d" % (name, k), k + 1
        nodes[key] = {"ms": float(m.group(1)), "op": m.group(4), "kernel": m.group(6),
                      "shape": [int(s) for s in shape if s]}
    return nodes, total


def parse_ort_profile(events, warmup):
    """ORT's JSON profile (a list of trace events) -> ({node name: {"ms": [per run],
    "op", "shape", "inputs"}}, [model_run ms per run]); the first `warmup` runs dropped.
    Node events ("cat": "Node", name "<node>_kernel_time") belong to the "model_run" event
    whose interval holds them."""
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in events
                  if e.get("cat") == "Session" and e.get("name") == "model_run")
    kept = runs[warmup:]
    nodes = {}
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        idx = [i for i, (a, b) in enumerate(kept) if a <= e["ts"] <= b]
        if not idx:
            continue
        name = e["name"][:-len("_kernel_time")]
        args = e.get("args", {})
        n = nodes.setdefault(name, {"ms": [0.0] * len(kept), "op": args.get("op_name", "?"),
                                    "shape": [], "inputs": len(args.get("input_type_shape", []))})
        n["ms"][idx[0]] += e["dur"] / 1000.0
        out = args.get("output_type_shape") or []
        if out and not n["shape"]:
            n["shape"] = list(list(out[0].values())[0])
    return nodes, [(b - a) / 1000.0 for a, b in kept]


# ---- mapping ----------------------------------------------------------------------------

def layer_kind(g, name):
    """'1x1', '3x3/2', 'dw3x3', 'dw5x5/2', 'g2 3x3', 'FC' or the op type."""
    n = g.nodes[name]
    if n["op"] in ("Gemm", "MatMul"):
        return "FC"
    if n["op"] != "Conv":
        return n["op"]
    w = n["weight"] or []
    ks = n["attrs"].get("kernel_shape") or w[2:]
    group = n["attrs"].get("group", 1)
    stride = max(n["attrs"].get("strides", [1]) or [1])
    k = "x".join(str(d) for d in ks)
    if group > 1 and w and w[1] == 1:
        k = "dw" + k
    elif group > 1:
        k = "g%d %s" % (group, k)
    return k + ("/%d" % stride if stride > 1 else "")


def kind_class(kind):
    """A layer kind's class for the summary: '1x1 conv', 'kxk conv', 'depthwise', 'FC',
    'other: OP'."""
    if kind == "FC":
        return "FC"
    if kind.startswith("dw"):
        return "depthwise conv"
    if re.match(r"^(g\d+ )?1x1(/\d+)?$", kind):
        return "1x1 conv"
    if re.match(r"^(g\d+ )?\d+x\d+", kind):
        return "kxk conv"
    return "other: " + kind


def shape_text(g, names, out_shape):
    """'64->256 56x56' for a conv row (input -> output channels, output plane)."""
    convs = [n for n in names if g.nodes[n]["op"] == "Conv" and g.nodes[n]["weight"]]
    plane = "x".join(str(d) for d in out_shape[2:]) if len(out_shape) > 2 else ""
    if not convs:
        fcs = [n for n in names if g.nodes[n]["weight"]]
        if fcs:
            w = g.nodes[fcs[0]]["weight"]
            return "%d->%d" % (w[1], w[0]) if g.nodes[fcs[0]]["attrs"].get("transB") else \
                "%d->%d" % (w[0], w[1])
        return plane
    w = g.nodes[convs[0]]["weight"]
    cin = w[1] * g.nodes[convs[0]]["attrs"].get("group", 1)
    return ("%d->%d %s" % (cin, w[0], plane)).strip()


def short_name(name):
    """'/layer1/layer1.0/conv3/Conv' -> 'layer1.0/conv3'; keeps the last path parts that
    say which layer it is, without the repeated prefixes."""
    parts = [p for p in name.split("/") if p]
    if parts and parts[-1] in ("Conv", "Gemm", "MatMul"):
        parts = parts[:-1]
    # Drop a part that the next one repeats ("layer1/layer1.0" -> "layer1.0").
    kept = [p for i, p in enumerate(parts) if not (i + 1 < len(parts) and
                                                   parts[i + 1].startswith(p + "."))]
    return "/".join(kept[-3:]) if kept else name


def compare(g, strix_nodes, ort_nodes):
    """Maps both profiles onto layers. strix_nodes: {name: {"ms", "op", "shape"}};
    ort_nodes: {name: {"ms" (a number), "op", "shape", "inputs"}}. Returns (rows,
    unresolved): rows are dicts with "layer", "kind", "shape", "strix", "ort", "delta",
    "count" (kernels of the row, Strix / ORT), sorted by delta, largest first."""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        parent[find(a)] = find(b)

    entries, unresolved = [], []
    for side, nodes in (("strix", strix_nodes), ("ort", ort_nodes)):
        for name, n in nodes.items():
            node = resolve(g, name.split("#")[0])
            if node is None:
                entries.append((side, None, n))
                if side == "strix" or not n["op"].startswith("Reorder"):
                    unresolved.append("%s: %s (%s)" % (side, name, n["op"]))
                continue
            a = anchor(g, node)
            find(a)
            if g.nodes[a]["op"] in LAYER_OPS:
                runs_add = ("+Add" in n["op"]) if side == "strix" else (
                    n["op"] in ("Conv", "FusedConv") and n.get("inputs", 0) >= 4)
                if runs_add:
                    add = fused_add(g, a)
                    if add:
                        union(anchor(g, add), a)
            entries.append((side, a, n))
    rows = {}
    for side, a, n in entries:
        if a is None:
            key = "other: %s" % n["op"]
        else:
            root = find(a)
            members = sorted((x for x in parent if find(x) == root), key=g.order.index)
            layers = [x for x in members if g.nodes[x]["op"] in LAYER_OPS]
            key = tuple(layers) if layers else "other: %s" % g.nodes[a]["op"]
        r = rows.setdefault(key, {"strix": 0.0, "ort": 0.0, "count": [0, 0], "shape": [],
                                  "adds": False})
        r["strix" if side == "strix" else "ort"] += n["ms"]
        r["count"][0 if side == "strix" else 1] += 1
        if a is not None and isinstance(key, tuple):
            r["adds"] = any(g.nodes[m]["op"] == "Add" for m in members)
        if n["shape"] and (side == "strix" or not r["shape"]):
            r["shape"] = n["shape"]
    out = []
    for key, r in rows.items():
        if isinstance(key, tuple):
            layer = " + ".join(short_name(x) for x in key) + (" (+Add)" if r["adds"] else "")
            kind = " + ".join(layer_kind(g, x) for x in key)
            shape = shape_text(g, list(key), r["shape"])
        else:
            n_nodes = max(r["count"])
            layer = "%s (%d)" % (key, n_nodes)
            kind = key[len("other: "):]
            shape = ""
        out.append({"layer": layer, "kind": kind, "shape": shape, "strix": r["strix"],
                    "ort": r["ort"], "delta": r["strix"] - r["ort"], "count": r["count"],
                    "other": not isinstance(key, tuple)})
    out.sort(key=lambda r: -r["delta"])
    return out, unresolved


def by_kind(rows):
    """Rows summed per kind class: [(class, strix ms, ort ms, rows)], largest delta first."""
    acc = {}
    for r in rows:
        c = "other: " + r["kind"] if r["other"] else kind_class(r["kind"].split(" + ")[0])
        a = acc.setdefault(c, [0.0, 0.0, 0])
        a[0] += r["strix"]
        a[1] += r["ort"]
        a[2] += 1
    return sorted(((c, s, o, n) for c, (s, o, n) in acc.items()), key=lambda t: -(t[1] - t[2]))


def ratio_text(s, o):
    return "%.2f" % (s / o) if o > 0 and s > 0 else "-"


def format_table(rows, totals, title, markdown=False, top=0):
    """The comparison as text (or a markdown table). totals: {"strix_sum", "ort_sum",
    "strix_run", "ort_run"}."""
    shown = rows[:top] if top else rows
    s_sum, o_sum = totals["strix_sum"], totals["ort_sum"]
    loss = s_sum - o_sum
    lines = []
    losers = [r for r in rows if r["delta"] > 0]
    top5 = sum(r["delta"] for r in losers[:5])
    summary = ("%s: Strix %.3f ms, ORT %.3f ms (sums of node medians; per run %.3f / %.3f), "
               "delta %+.3f ms, ratio %s. Layers where Strix is slower add up to %+.3f ms, the "
               "top 5 of them to %+.3f ms; layers where it is faster: %+.3f ms." %
               (title, s_sum, o_sum, totals["strix_run"], totals["ort_run"], loss,
                ratio_text(s_sum, o_sum), sum(r["delta"] for r in losers), top5,
                sum(r["delta"] for r in rows if r["delta"] <= 0)))
    if markdown:
        lines += [summary, "",
                  "| layer | kind | shape | Strix ms | ORT ms | Strix/ORT | delta ms |",
                  "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
        for r in shown:
            lines.append("| %s | %s | %s | %.3f | %.3f | %s | %+.3f |" %
                         (r["layer"], r["kind"], r["shape"], r["strix"], r["ort"],
                          ratio_text(r["strix"], r["ort"]), r["delta"]))
        if top and len(rows) > top:
            rest = rows[top:]
            lines.append("| (%d more rows) | | | %.3f | %.3f | | %+.3f |" %
                         (len(rest), sum(r["strix"] for r in rest), sum(r["ort"] for r in rest),
                          sum(r["delta"] for r in rest)))
        lines.append("| **total** | | | %.3f | %.3f | %s | %+.3f |" %
                     (s_sum, o_sum, ratio_text(s_sum, o_sum), loss))
        lines += ["", "By kind: " + "; ".join(
            "%s %+.3f ms (%.3f / %.3f, %d rows)" % (c, s - o, s, o, n)
            for c, s, o, n in by_kind(rows)) + "."]
        return "\n".join(lines)
    lines.append(summary)
    lines.append("%-52s %-12s %-18s %9s %9s %6s %9s" % ("layer", "kind", "shape", "Strix ms",
                                                        "ORT ms", "ratio", "delta ms"))
    for r in shown:
        lines.append("%-52s %-12s %-18s %9.3f %9.3f %6s %+9.3f" %
                     (r["layer"][:52], r["kind"][:12], r["shape"][:18], r["strix"], r["ort"],
                      ratio_text(r["strix"], r["ort"]), r["delta"]))
    if top and len(rows) > top:
        rest = rows[top:]
        lines.append("%-52s %-12s %-18s %9.3f %9.3f %6s %+9.3f" %
                     ("(%d more rows)" % len(rest), "", "", sum(r["strix"] for r in rest),
                      sum(r["ort"] for r in rest), "", sum(r["delta"] for r in rest)))
    lines.append("%-52s %-12s %-18s %9.3f %9.3f %6s %+9.3f" %
                 ("total", "", "", s_sum, o_sum, ratio_text(s_sum, o_sum), loss))
    lines.append("by kind:")
    for c, s, o, n in by_kind(rows):
        lines.append("  %-24s Strix %9.3f  ORT %9.3f  delta %+9.3f ms  (%d rows)" %
                     (c, s, o, s - o, n))
    return "\n".join(lines)


# ---- measuring ----------------------------------------------------------------------------

def ort_profile_child(onnx_path, batch, threads, warmup, iters, out_dir):
    """Runs in --ort-python: warmup + iters profiled runs; prints the profile's path."""
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.enable_profiling = True
    so.profile_file_prefix = os.path.join(out_dir, "ort_profile")
    session = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    # The model's own input dims where they are fixed (the batch is ours), else 3x224x224.
    dims = [d if isinstance(d, int) else 0 for d in inp.shape[1:]]
    shape = (batch,) + (tuple(dims) if dims and all(dims) else (3, 224, 224))
    rng = np.random.default_rng(1)
    xs = [rng.uniform(-1, 1, shape).astype(np.float32) for _ in range(4)]
    for i in range(warmup + iters):
        session.run(None, {inp.name: xs[i % 4]})
    print(json.dumps({"profile": session.end_profiling(), "version": ort.__version__}))


def measure_ort(args, onnx_path):
    with tempfile.TemporaryDirectory() as d:
        out = run([args.ort_python, os.path.abspath(__file__), "--ort-profile-child", onnx_path,
                   str(args.batch), str(args.threads), str(args.warmup), str(args.iters), d])
        j = json.loads(out.strip().splitlines()[-1])
        with open(j["profile"]) as f:
            events = json.load(f)
    nodes, runs = parse_ort_profile(events, args.warmup)
    return {k: dict(v, ms=statistics.median(v["ms"])) for k, v in nodes.items()}, \
        statistics.median(runs)


def measure_strix(args, strix_path):
    out = run([os.path.join(args.build, "tests/bench/strix_profile"), strix_path, "--batch",
               str(args.batch), "--threads", str(args.threads), "--iters", str(args.iters),
               "--top", "100000"])
    return parse_strix_profile(out)


def median_of_rounds(rounds):
    """[{name: node}] -> {name: node with "ms" = median of the rounds' ms}."""
    out = {}
    for name in rounds[0]:
        ms = [r[name]["ms"] for r in rounds if name in r]
        out[name] = dict(rounds[0][name], ms=statistics.median(ms))
    return out


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--ort-profile-child":
        a = sys.argv[2:]
        ort_profile_child(a[0], int(a[1]), int(a[2]), int(a[3]), int(a[4]), a[5])
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", required=True, help="Release build directory (strix_profile)")
    p.add_argument("--ort-python", default=sys.executable, help="Python with onnxruntime")
    p.add_argument("--model", required=True, help="e.g. resnet50 (WORKDIR/MODEL.onnx|.strix)")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--iters", type=int, default=10, help="timed runs per process")
    p.add_argument("--warmup", type=int, default=3, help="ORT warm-up runs (Strix: 2)")
    p.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench_models"))
    p.add_argument("--top", type=int, default=0, help="rows to show (0: all)")
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    p.add_argument("--no-plain", action="store_true",
                   help="skip the unprofiled runs (`strix bench` and a plain ORT session, as "
                   "bench_vs_ort.py times them) that put the profiled totals in context; "
                   "needed for models whose input is not [N, 3, 224, 224] (its ORT timer feeds "
                   "that shape)")
    args = p.parse_args()
    onnx_path = os.path.join(args.workdir, args.model + ".onnx")
    strix_path = os.path.join(args.workdir, args.model + ".strix")
    for path in (onnx_path, strix_path):
        if not os.path.exists(path):
            sys.exit("layer_vs_ort: %s not found (make it with tests/bench/bench_vs_ort.py "
                     "--workdir %s)" % (path, args.workdir))
    try:
        g = load_graph(onnx_path)
    except Exception as e:  # noqa: BLE001 — any load failure is a bad model file
        sys.exit("layer_vs_ort: cannot read %s: %s" % (onnx_path, e))
    s_rounds, o_rounds, s_runs, o_runs, s_plain, o_plain = [], [], [], [], [], []
    try:
        for r in range(args.rounds):
            with open("/proc/loadavg") as f:
                load = f.read().split()[0]
            print("round %d/%d, load %s" % (r + 1, args.rounds, load), file=sys.stderr,
                  flush=True)
            for who in (("strix", "ort") if r % 2 == 0 else ("ort", "strix")):
                if who == "strix":
                    nodes, total = measure_strix(args, strix_path)
                    s_rounds.append(nodes)
                    s_runs.append(total)
                    if not args.no_plain:
                        s_plain.append(strix_once(args, strix_path, args.batch, args.threads)[0])
                else:
                    nodes, total = measure_ort(args, onnx_path)
                    o_rounds.append(nodes)
                    o_runs.append(total)
                    if not args.no_plain:
                        o_plain.append(ort_once(args, onnx_path, args.batch, args.threads)[0])
    except subprocess.CalledProcessError as e:
        sys.exit("layer_vs_ort: %s failed: %s" % (e.cmd[0], (e.stderr or "").strip()[-400:]))
    except OSError as e:  # a missing binary: strix_profile, strix or the ORT python
        sys.exit("layer_vs_ort: cannot run %s: %s" % (e.filename, e.strerror))
    strix_nodes, ort_nodes = median_of_rounds(s_rounds), median_of_rounds(o_rounds)
    rows, unresolved = compare(g, strix_nodes, ort_nodes)
    totals = {"strix_sum": sum(n["ms"] for n in strix_nodes.values()),
              "ort_sum": sum(n["ms"] for n in ort_nodes.values()),
              "strix_run": statistics.median(s_runs), "ort_run": statistics.median(o_runs)}
    title = "%s batch %d threads %d" % (args.model, args.batch, args.threads)
    print(format_table(rows, totals, title, markdown=args.markdown, top=args.top))
    if s_plain:
        print("%sUnprofiled (median of the rounds' median wall ms per run, `strix bench` / plain "
              "ORT session): Strix %.3f ms, ORT %.3f ms, ratio %.2f." %
              ("\n" if args.markdown else "", statistics.median(s_plain),
               statistics.median(o_plain), statistics.median(s_plain) / statistics.median(o_plain)))
    for u in unresolved:
        print("not mapped to an ONNX node: " + u, file=sys.stderr)


if __name__ == "__main__":
    main()
