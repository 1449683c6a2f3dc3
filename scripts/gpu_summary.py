#!/usr/bin/env python3
"""Prints the side-by-side table of scripts/gpu_check.sh: strix bench JSON lines and
scripts/torch_baseline.py JSON lines."""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip().startswith("{")]
    except OSError:
        return []


bench, torch = load(sys.argv[1]), load(sys.argv[2]) if len(sys.argv) > 2 else []
peer = {}
for t in torch:
    peer.setdefault((t["model"], t["batch"]), {})[t["mode"]] = t
card = torch[0]["card"] if torch else "?"
print(f"card: {card}")
print(f"{'model':18} {'mode':13} {'batch':>5} {'p50 ms':>9} {'img/s':>10} {'H2D':>7} {'GPU':>8} "
      f"{'D2H':>7} {'fb':>3} {'build s':>7} {'torch ms':>9} {'torch img/s':>11} {'x torch':>7}")
for b in bench:
    name = b["model_name"].replace("_f16", "").replace("_int8io", "").replace("_int8", "")
    batch = b["batch"]
    lat = b["latency_ms"]["p50"]
    ips = b["throughput"]["items_per_s"]
    dev = b.get("device_ms", {})
    p = peer.get((name, batch), {}).get("eager+cuda_graph")
    ratio = ""
    if p and b["tag"].startswith(("fp16", "int8")) and "ctx" not in b["tag"]:
        ratio = f"{ips / p['items_per_s']:.2f}"
    extra = ""
    if "contexts" in b:
        extra = f"  [{b['contexts']['count']} contexts: {b['contexts']['items_per_s']:.0f} img/s]"
    print(f"{name:18} {b['tag']:13} {batch:>5} {lat:>9.3f} {ips:>10.0f} {dev.get('h2d', 0):>7.3f} "
          f"{dev.get('compute', 0):>8.3f} {dev.get('d2h', 0):>7.3f} {b['num_fallbacks']:>3} "
          f"{b.get('build_ms', 0) / 1000:>7.2f} {(p['ms'] if p else 0):>9.3f} {(p['items_per_s'] if p else 0):>11.0f} {ratio:>7}{extra}")
for b in bench:
    if "profile" in b:
        p = b["profile"]
        print(f"profile {b['model_name']} batch {b['batch']}: {p['total_ms']:.3f} ms over all nodes "
              f"(launched one by one); slowest:")
        for n in p["slowest"]:
            print(f"  {n['ms']:8.4f} ms  {n['op']:18} {n['kernel']}")
for t in torch:
    if t["mode"] != "eager+cuda_graph":
        print(f"torch {t['mode']}: {t['model']} batch {t['batch']}: {t['ms']:.3f} ms, "
              f"{t['items_per_s']:.0f} img/s")
