#!/usr/bin/python3
"""Exports the real architectures of the converter conformance suite to ONNX: torchvision
models with random weights (no download) and a small U-Net style autoencoder, at opsets 13
and 17, each with a random input (.npy). Uses Debian's python3-torch and python3-torchvision.

Usage: scripts/export_models.py OUT_DIR [--models a,b,...] [--opsets 13,17] [--size 224]

Writes OUT_DIR/<model>.opset<N>.onnx, OUT_DIR/<model>.input.npy and OUT_DIR/models.json
(name, opset, onnx path, input name and path). The batch dim is exported as dynamic.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

ALL = ["resnet18", "mobilenet_v2", "squeezenet1_1", "unet", "alexnet", "vgg11_bn", "googlenet",
       "inception_v3", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "densenet121",
       "mobilenet_v3_small", "mobilenet_v3_large", "shufflenet_v2_x1_0", "mnasnet1_0",
       "efficientnet_b0", "regnet_x_400mf", "convnext_tiny", "fcn_resnet50",
       "deeplabv3_mobilenet_v3_large"]


class UNet(nn.Module):
    """A small U-Net style denoising autoencoder: strided conv encoder, ConvTranspose decoder,
    skip concatenations, BatchNorm + ReLU, sigmoid output."""

    def __init__(self, c=16):
        super().__init__()

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True),
                                 nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))

        self.enc1, self.enc2, self.enc3 = block(3, c), block(c, 2 * c), block(2 * c, 4 * c)
        self.down = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        self.dec2 = block(4 * c, 2 * c)
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.dec1 = block(2 * c, c)
        self.out = nn.Conv2d(c, 3, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.down(e1))
        e3 = self.enc3(self.down(e2))
        d2 = self.dec2(torch.cat([self.up2(e3), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return torch.sigmoid(self.out(d1))


def build(name):
    if name == "unet":
        return UNet()
    import torchvision.models as tvm
    import torchvision.models.segmentation as seg
    kwargs = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kwargs["aux_logits"] = False
        # inception_v3's own init (truncated normal, std 0.1) grows activations to 1e12,
        # beyond FP16; PyTorch's default init keeps them in range.
        kwargs["init_weights"] = name == "googlenet"
    if name in ("fcn_resnet50", "deeplabv3_mobilenet_v3_large"):
        kwargs["weights_backbone"] = None
        kwargs["aux_loss"] = False
        return getattr(seg, name)(**kwargs)
    return getattr(tvm, name)(**kwargs)


class SegOut(nn.Module):
    """Segmentation models return a dict; export its 'out' tensor."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


def randomize_batchnorm(model, gen):
    # Fresh BatchNorm statistics are 0/1: give them random values so that they matter.
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.1, 0.1, generator=gen)
            m.running_var.uniform_(0.5, 1.5, generator=gen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--models", default=",".join(ALL))
    ap.add_argument("--opsets", default="13,17")
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    entries = []
    for name in args.models.split(","):
        size = 299 if name == "inception_v3" and args.size == 224 else args.size
        if name == "unet":
            size = min(size, 64)
        model = build(name).eval()
        if name in ("fcn_resnet50", "deeplabv3_mobilenet_v3_large"):
            model = SegOut(model).eval()
        randomize_batchnorm(model, gen)
        x = torch.rand(1, 3, size, size, generator=gen)
        npy = os.path.join(args.out, f"{name}.input.npy")
        np.save(npy, x.numpy())
        for opset in [int(o) for o in args.opsets.split(",")]:
            path = os.path.join(args.out, f"{name}.opset{opset}.onnx")
            t0 = time.time()
            with torch.no_grad():
                torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"],
                                  output_names=["output"],
                                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
            print(f"export_models.py: {name} opset {opset}: {os.path.getsize(path) / 1e6:.1f} MB "
                  f"in {time.time() - t0:.1f} s", flush=True)
            entries.append({"name": name, "opset": opset, "onnx": path, "input": "input",
                            "input_npy": npy})
    with open(os.path.join(args.out, "models.json"), "w") as f:
        json.dump({"models": entries}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
