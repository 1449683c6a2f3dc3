#!/usr/bin/python3
"""gst-inspect-1.0 documents every property of every strix element, and every
`gst-launch-1.0` line in the elements' doc comments (pipeline/*.cc) runs.

    check_docs.py --plugin-dir DIR --sources pipeline/ --make-model make_test_model --work DIR

Launch lines sit in `|[ ... ]|` blocks, continued with trailing backslashes. They name `classifier.strix`, `out.mp4` and `results.jsonl`; they are run with
those replaced by a test model and files in --work.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

ELEMENTS = {
    "strixclassify": ["model", "device", "threads", "inference-interval", "threshold", "top-k",
                      "model-instance-id", "labels", "frames", "inferences", "latency-ms",
                      "latency-p99-ms", "preprocess-ms", "inference-ms", "fps"],
    "strixoverlay": ["scale", "show-confidence", "latency-ms"],
    "strixmetaconvert": ["source", "post-messages", "json"],
    "strixmetapublish": ["location", "lines"],
}
INHERITED = {"name", "parent", "qos"}


def properties(text):
    """{name: blurb} of the 'Element Properties:' section of gst-inspect-1.0 output."""
    section = text.split("Element Properties:", 1)[1]
    return {m.group(1): m.group(2).strip()
            for m in re.finditer(r"^  ([a-z][a-z0-9-]*)\s*: (.*)$", section, re.M)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("--sources", required=True)
    ap.add_argument("--make-model", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    env = dict(os.environ, GST_PLUGIN_PATH=args.plugin_dir,
               GST_REGISTRY=os.path.join(args.work, "registry.bin"))
    failures = []

    out = subprocess.run(["gst-inspect-1.0", "strix"], env=env, capture_output=True, text=True)
    for element in ELEMENTS:
        if element not in out.stdout:
            failures.append(f"gst-inspect-1.0 strix does not list {element}")
    for element, expected in ELEMENTS.items():
        out = subprocess.run(["gst-inspect-1.0", element], env=env, capture_output=True,
                             text=True)
        if out.returncode != 0:
            failures.append(f"gst-inspect-1.0 {element} failed: {out.stderr.strip()}")
            continue
        props = properties(out.stdout)
        for name in expected:
            if name not in props:
                failures.append(f"{element}: property {name} missing")
        for name, blurb in props.items():
            if name not in INHERITED and len(blurb) < 10:
                failures.append(f"{element}: property {name} has no description ({blurb!r})")

    model = os.path.join(args.work, "classifier.strix")
    subprocess.run([args.make_model, model], check=True, capture_output=True)
    lines = []
    for name in sorted(os.listdir(args.sources)):
        if name.endswith(".cc"):
            text = open(os.path.join(args.sources, name)).read()
            found = []
            for block in re.findall(r"^ \* \|\[\n(.*?)^ \* \]\|", text, re.M | re.S):
                # Lines continued with a trailing backslash, as in a shell.
                body = " ".join(l[3:].rstrip() for l in block.splitlines())
                body = re.sub(r"\s*\\\s+", " ", body).strip()
                if body.startswith("gst-launch-1.0 "):
                    found.append(body)
            if not found and "GST_ELEMENT_REGISTER_DEFINE" in text:
                failures.append(f"{name}: no gst-launch-1.0 line in its documentation")
            lines += [(name, line) for line in found]
    for name, line in lines:
        argv = shlex.split(line)
        subst = {"classifier.strix": model, "out.mp4": os.path.join(args.work, "out.mp4"),
                 "results.jsonl": os.path.join(args.work, "results.jsonl")}
        argv = [re.sub(r"=(classifier\.strix|out\.mp4|results\.jsonl)$",
                       lambda m: "=" + subst[m.group(1)], a) for a in argv]
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            failures.append(f"{name}: `{line}` exited {out.returncode}: "
                            f"{(out.stdout + out.stderr).strip()[-400:]}")
        else:
            print(f"ok: {name}: {line}")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(lines) + len(ELEMENTS) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
