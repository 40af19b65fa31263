#!/usr/bin/env python3
"""PyTorch twins of KernelNet's MNIST models, for side-by-side runs on the same data and schedule.
The model definitions here (build, adam) are also the ones train_bench.py times.

Same architectures (NCHW, Glorot-uniform weights, zero biases), Adam(lr=1e-3, eps=1e-7), batch 128, sparse
cross-entropy on logits, reading the same IDX files (the bundled data/ by default). Prints one JSON line:
test accuracy, mean epoch seconds (timed with CUDA events on a GPU) and examples per second.

  python3 bench/pytorch/mnist_twins.py --model cnn --epochs 5 --device cuda
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(directory, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise FileNotFoundError(f"{stem}(.gz) in {directory}")


def load(directory):
    sets = []
    for prefix in ("train", "t10k"):
        x = read_idx(find(directory, f"{prefix}-images-idx3-ubyte")).astype(np.float32) / 255.0
        y = read_idx(find(directory, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
        sets.append((torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)))
    return sets


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
        nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))


def keras_init(module):
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


def build(name, device):
    """The twin of KernelNet's model `name` ("mlp" or "cnn") on `device`, Keras-initialised."""
    model = {"mlp": mlp, "cnn": cnn}[name]().to(device)
    model.apply(keras_init)
    return model


def adam(model, lr=1e-3):
    """Adam with Keras' epsilon value 1e-7 (and torch's placement of it, which KernelNet's bench train selects)."""
    return torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["mlp", "cnn"], default="cnn")
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "data"))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--tf32", action="store_true", help="allow TF32 matmul/conv (off: full FP32 like ours)")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    device = torch.device(args.device)
    (x_train, y_train), (x_test, y_test) = load(args.data)
    x_train, y_train, x_test, y_test = (t.to(device) for t in (x_train, y_train, x_test, y_test))
    model = build(args.model, device)
    optimizer = adam(model, args.lr)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator(device="cpu").manual_seed(args.seed)

    epoch_seconds = []
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=generator).to(device)
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
        else:
            t0 = time.perf_counter()
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
        if device.type == "cuda":
            end.record()
            torch.cuda.synchronize()
            epoch_seconds.append(start.elapsed_time(end) / 1000.0)
        else:
            epoch_seconds.append(time.perf_counter() - t0)

    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum())
                      for i in range(0, len(x_test), 1000))
    mean_epoch = float(np.mean(epoch_seconds[1:] if len(epoch_seconds) > 1 else epoch_seconds))
    print(json.dumps({
        "framework": f"pytorch {torch.__version__}", "model": args.model, "device": str(device),
        "device_name": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "epochs": args.epochs, "batch_size": args.batch, "test_accuracy": correct / len(x_test),
        "epoch_seconds": epoch_seconds, "mean_epoch_seconds_after_first": mean_epoch,
        "examples_per_second": len(x_train) / mean_epoch}))


if __name__ == "__main__":
    main()
