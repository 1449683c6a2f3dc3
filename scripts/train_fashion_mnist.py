#!/usr/bin/python3
"""Trains a small Fashion-MNIST classifier with PyTorch on the CPU and exports it to ONNX.

    /usr/bin/python3 scripts/train_fashion_mnist.py OUT_DIR [--epochs 1] [--limit N]

Data: Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist, the
original idx files); --data DIR reads them from elsewhere. Writes to OUT_DIR:
  fashion_mnist.onnx   input "image" [1, 1, 28, 28] float (x = (p / 255 - 0.2860) / 0.3530),
                       output "probs" [1, 10] (softmax of the logits)
  labels.txt           the 10 class names, one a line
  contract.txt         the strixc convert flags that describe the input (mean, std, ...)
Prints the test-set accuracy of the trained network. Training is seeded and single
threaded per --threads, so a rerun gives the same weights on the same machine.
"""

import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
from torch import nn

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
          "Bag", "Ankle boot"]
MEAN, STD = 0.2860, 0.3530
DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """An idx file (optionally gzipped) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    return images, labels


def normalize(images):
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    return ((x - MEAN) / STD).unsqueeze(1)  # [N, 1, 28, 28]


class Net(nn.Module):
    """Two conv stages and two fully connected layers: about 110k parameters."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, len(LABELS)))

    def forward(self, x):
        return self.classifier(self.features(x))


def accuracy(net, x, y, batch=1000):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (net(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--data", default=DATA, help="directory with the idx files")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images only")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.data, "train-images-idx3-ubyte.gz")):
        sys.exit(f"train_fashion_mnist.py: no Fashion-MNIST in {args.data} "
                 "(apt-get install dataset-fashion-mnist)")
    torch.manual_seed(2026)
    torch.set_num_threads(args.threads)
    train_images, train_labels = load_split(args.data, "train")
    test_images, test_labels = load_split(args.data, "test")
    if args.limit:
        train_images, train_labels = train_images[:args.limit], train_labels[:args.limit]
    x, y = normalize(train_images), torch.from_numpy(train_labels.astype(np.int64))
    tx, ty = normalize(test_images), torch.from_numpy(test_labels.astype(np.int64))

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(7)
    start = time.time()
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(x), generator=generator)
        for i in range(0, len(x), 128):
            idx = order[i:i + 128]
            opt.zero_grad()
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss.item():.3f}, "
              f"test accuracy {accuracy(net, tx, ty):.4f} ({time.time() - start:.0f} s)",
              flush=True)

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, "fashion_mnist.onnx")
    net.eval()
    torch.onnx.export(nn.Sequential(net, nn.Softmax(dim=1)), torch.zeros(1, 1, 28, 28),
                      onnx_path, input_names=["image"], output_names=["probs"], opset_version=13)
    with open(os.path.join(args.out_dir, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    with open(os.path.join(args.out_dir, "contract.txt"), "w") as f:
        f.write(f"--task classify --mean {MEAN} --std {STD} --resize stretch\n")
    print(f"wrote {onnx_path}: test accuracy {accuracy(net, tx, ty):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
