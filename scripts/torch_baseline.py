#!/usr/bin/env python3
"""PyTorch peer of `strix bench --device cuda` (docs/benchmarks.md, ../shared/GPU.md).

torchvision models in FP16, channels_last, cudnn.benchmark, replayed through a CUDA graph
(and optionally torch.compile(mode="reduce-overhead")). Times with CUDA events after a
warm-up, median of --iterations replays, inputs rotated among 4 buffers. Prints one JSON line
per (model, batch, mode).

  python3 scripts/torch_baseline.py --models resnet50 mobilenet_v2 resnet18 --batches 1 256
"""
import argparse
import json
import statistics

import torch
import torchvision


def bench_graph(model, batch, iterations, warmup):
    inputs = [torch.randn(batch, 3, 224, 224, device="cuda", dtype=torch.half)
              .contiguous(memory_format=torch.channels_last) for _ in range(4)]
    static_in = inputs[0].clone()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s), torch.no_grad():
        for _ in range(3):
            model(static_in)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g), torch.no_grad():
        static_out = model(static_in)
    for i in range(warmup):
        static_in.copy_(inputs[i % 4])
        g.replay()
    torch.cuda.synchronize()
    times = []
    for i in range(iterations):
        static_in.copy_(inputs[i % 4])
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        g.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    del static_out
    return statistics.median(times)


def bench_compiled(model, batch, iterations, warmup):
    compiled = torch.compile(model, mode="reduce-overhead")
    inputs = [torch.randn(batch, 3, 224, 224, device="cuda", dtype=torch.half)
              .contiguous(memory_format=torch.channels_last) for _ in range(4)]
    with torch.no_grad():
        for i in range(max(warmup, 5)):
            compiled(inputs[i % 4])
        torch.cuda.synchronize()
        times = []
        for i in range(iterations):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            compiled(inputs[i % 4])
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", default=["resnet50", "mobilenet_v2", "resnet18"])
    p.add_argument("--batches", nargs="+", type=int, default=[1, 256])
    p.add_argument("--iterations", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--compile", action="store_true", help="also torch.compile (slow to build)")
    p.add_argument("--compile-models", nargs="+", default=["resnet50"],
                   help="the models --compile applies to")
    args = p.parse_args()
    torch.backends.cudnn.benchmark = True
    card = torch.cuda.get_device_name()
    for name in args.models:
        model = getattr(torchvision.models, name)(weights=None).cuda().half().eval()
        model = model.to(memory_format=torch.channels_last)
        for batch in args.batches:
            ms = bench_graph(model, batch, args.iterations, args.warmup)
            print(json.dumps({"peer": "pytorch", "mode": "eager+cuda_graph", "model": name,
                              "batch": batch, "card": card, "ms": ms,
                              "items_per_s": batch * 1000.0 / ms}), flush=True)
            if args.compile and name in args.compile_models:
                ms = bench_compiled(model, batch, args.iterations, args.warmup)
                print(json.dumps({"peer": "pytorch", "mode": "torch.compile", "model": name,
                                  "batch": batch, "card": card, "ms": ms,
                                  "items_per_s": batch * 1000.0 / ms}), flush=True)
        del model
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
