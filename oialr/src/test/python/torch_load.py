#!/usr/bin/python3
"""Loads a dense OIALR model file into PyTorch and checks its test-set classes against ours.

usage: torch_load.py MODEL.safetensors CLASSES.txt FASHION_MNIST_DIR

The safetensors file is read here with a reader of its own (Debian has no python3-safetensors): 8-byte
little-endian header length, JSON header, raw little-endian data, as safetensors.torch.load_file reads it.
The network is the zoo MLP written as PyTorch would write it: nn.Sequential(Flatten, Linear, ReLU, ...),
loaded with load_state_dict(strict=True). Images are read from the IDX gz files and standardised with the
statistics the model file carries. Prints one line: agreement and the number of images; exits 1 on any
disagreement.
"""
import gzip
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", e["dtype"]
        b, end = e["data_offsets"]
        arr = np.frombuffer(data[base + b:base + end], dtype="<f4").reshape(e["shape"])
        tensors[name] = torch.from_numpy(arr.copy())
    return tensors, meta


def idx_images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, h, w = struct.unpack(">IIII", raw[:16])
    assert magic == 2051, magic
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, 1, h, w).astype(np.float32) / 255.0


def main():
    model_path, classes_path, data_dir = sys.argv[1:4]
    state, meta = load_safetensors(model_path)
    info = json.loads(meta["oialr.info"])
    assert info["architecture"] == "mlp", info
    weights = sorted({k.rsplit(".", 1)[0] for k in state}, key=int)
    layers = [nn.Flatten()]
    for i, key in enumerate(weights):
        out_f, in_f = state[key + ".weight"].shape
        # indices as the zoo's Sequential numbers them: Flatten 0, Linear 1, ReLU 2, Linear 3, ...
        assert int(key) == 1 + 2 * i, weights
        layers.append(nn.Linear(in_f, out_f))
        if i < len(weights) - 1:
            layers.append(nn.ReLU())
    net = nn.Sequential(*layers)
    net.load_state_dict(state, strict=True)
    net.eval()
    x = idx_images(f"{data_dir}/t10k-images-idx3-ubyte.gz")
    mean, std = info["normalization"]["mean"][0], info["normalization"]["std"][0]
    x = (x - np.float32(mean)) / np.float32(std)
    with torch.no_grad():
        ours = np.loadtxt(classes_path, dtype=np.int64)
        theirs = net(torch.from_numpy(x)).argmax(dim=1).numpy()
    same = int((ours == theirs).sum())
    print(f"torch {torch.__version__}: {same} of {len(ours)} test images get the same class")
    sys.exit(0 if same == len(ours) else 1)


if __name__ == "__main__":
    main()
