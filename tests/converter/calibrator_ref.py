#!/usr/bin/python3
"""Independent numpy re-implementation of the calibrators of converter/quant/calibrator.h.

Usage: calibrator_ref.py HIST.txt
HIST.txt: one line "bin_width non_negative percentile" then one count per line.
Prints "entropy_bin mse_bin percentile_bin": the threshold of each calibrator divided by the
bin width (an integer: the thresholds are bin edges).
"""
import sys

import numpy as np


def entropy_bin(h, target):
    h = h.copy()
    h[0] = h[1]
    bins = len(h)
    best, best_i = np.inf, bins
    for i in range(target, bins + 1):
        p = h[:i].astype(np.float64).copy()
        p[i - 1] += h[i:].sum()
        q = np.zeros(i)
        merged = i // target
        for j in range(target):
            start = j * merged
            stop = i if j == target - 1 else start + merged
            seg = h[start:stop]
            nz = np.count_nonzero(seg)
            if nz:
                q[start:stop] = np.where(seg != 0, seg.sum() / nz, 0.0)
        pn, qn = p / p.sum(), q / q.sum()
        mask = pn > 0
        if np.any(qn[mask] == 0):
            kl = np.inf
        else:
            kl = float(np.sum(pn[mask] * np.log(pn[mask] / qn[mask])))
        if kl <= best:
            best, best_i = kl, i
    return best_i


def mse_bin(h, levels):
    bins = len(h)
    centres = np.arange(bins) + 0.5  # in units of the bin width
    best, best_i = np.inf, bins
    for i in range(1, bins + 1):
        step = i / levels
        err = np.where(centres <= i, step * step / 12.0, (centres - i) ** 2)
        e = float(np.sum(h * err))
        if e < best:
            best, best_i = e, i
    return best_i


def percentile_bin(h, p):
    cum = np.cumsum(h)
    return int(np.argmax(cum >= p / 100.0 * cum[-1])) + 1


def main():
    lines = open(sys.argv[1]).read().split("\n")
    _, non_negative, p = lines[0].split()
    h = np.array([int(x) for x in lines[1:] if x.strip()], dtype=np.float64)
    levels = 255 if non_negative == "1" else 127
    target = 256 if non_negative == "1" else 128
    print(entropy_bin(h, target), mse_bin(h, levels), percentile_bin(h, float(p)))


if __name__ == "__main__":
    main()
