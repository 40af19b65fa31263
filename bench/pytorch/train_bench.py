#!/usr/bin/env python3
"""Examples per second of whole PyTorch training steps of the MNIST twins, for `kernelnet bench train --pytorch`.

The models, initialisation and optimizer are mnist_twins.py's (build, adam): the same layers as KernelNet's mlp and
cnn, Glorot-uniform weights and zero biases, Adam(lr=1e-3, eps=1e-7), cross-entropy on logits. A step is
zero_grad, forward, loss, backward, optimizer.step, in training mode (the mlp's dropout on), in eager mode and with
the model wrapped in torch.compile(mode="reduce-overhead") (the optimizer step stays eager); a mode that fails is
recorded with a note, not fatal. Method as `bench train`: per model and batch, --warmup windows discarded (and more
until --warmup-seconds have passed), then
--runs windows of --steps-per-run steps, each timed by the wall clock between two device synchronisations
(torch.cuda.synchronize on a GPU); the median, minimum and maximum of the windows' examples per second.

Data: synthetic, the recipe of KernelNet's bench (not the same numbers; the times do not depend on them): pixels
uniform in (0, 1] (never zero), labels uniform in [0, 10), seeded; steps_per_run batches, resident on the device
(KernelNet's step uploads each batch from host memory, so this favours PyTorch). FP32 unless --tf32.

Output (--out FILE, and one line on stdout per measurement):
  {"bench": "train-pytorch", "framework": "pytorch 2.x", "date": ISO-8601, "device": "cuda"|"cpu",
   "device_name": "NVIDIA H100 ...", "tf32": false, "warmup": 3, "warmup_seconds": 3, "runs": 20, "steps_per_run": 20,
   "timing": "...", "data": "...",
   "results": [{"model": "mlp"|"cnn", "batch": 128, "mode": "eager"|"compile",
                "examples_per_second": float or null when the mode did not run,
                "min_examples_per_second": ..., "max_examples_per_second": ..., "ms_per_step": ...,
                "runs_examples_per_second": [...], "note": "why it did not run (absent when it did)"}, ...]}

  python3 bench/pytorch/train_bench.py --device cuda --out pytorch-train.json
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

from mnist_twins import adam, build


def synthetic(count, device, seed):
    generator = torch.Generator(device="cpu").manual_seed(seed)
    images = 1.0 - torch.rand(count, 1, 28, 28, generator=generator)  # (0, 1]
    labels = torch.randint(0, 10, (count,), generator=generator)
    return images.to(device), labels.to(device)


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(name, batch, mode, device, args):
    """Examples per second of each timed window, or raises when the mode cannot run."""
    torch.manual_seed(args.seed)
    model = build(name, device)
    model.train()
    optimizer = adam(model)
    loss_fn = nn.CrossEntropyLoss()
    forward = torch.compile(model, mode="reduce-overhead") if mode == "compile" else model
    images, labels = synthetic(args.steps_per_run * batch, device, args.seed)
    batches = [(images[i:i + batch], labels[i:i + batch]) for i in range(0, len(images), batch)]

    def window():
        synchronize(device)
        start = time.perf_counter()
        for x, y in batches:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(forward(x), y)
            loss.backward()
            optimizer.step()
        synchronize(device)
        return len(images) / (time.perf_counter() - start)

    warm_end = time.perf_counter() + args.warmup_seconds
    warmed = 0
    while warmed < args.warmup or time.perf_counter() < warm_end:
        window()
        warmed += 1
    return [window() for _ in range(args.runs)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--batches", default="128,512")
    parser.add_argument("--modes", default="eager,compile")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--warmup-seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--steps-per-run", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--tf32", action="store_true", help="allow TF32 matmul/conv (off: full FP32 like ours)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="CPU threads (default: the cores, as ours use; some builds default to one)")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.warmup < 0 or args.warmup_seconds < 0 or args.runs < 1 or args.steps_per_run < 1:
        parser.error("--warmup and --warmup-seconds must be >= 0, --runs and --steps-per-run >= 1")

    torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    device = torch.device(args.device)
    results = []
    for name in args.models.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            for mode in args.modes.split(","):
                entry = {"model": name, "batch": batch, "mode": mode}
                try:
                    rates = measure(name, batch, mode, device, args)
                    median = statistics.median(rates)
                    entry.update({"examples_per_second": median, "min_examples_per_second": min(rates),
                                  "max_examples_per_second": max(rates), "ms_per_step": 1000.0 * batch / median,
                                  "runs_examples_per_second": rates})
                except Exception as e:  # torch.compile may be unavailable (no Triton, no compiler): record why
                    if mode == "eager":
                        raise
                    entry.update({"examples_per_second": None,
                                  "note": f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"[:300]})
                print(json.dumps(entry), flush=True)
                results.append(entry)

    report = {
        "bench": "train-pytorch", "framework": f"pytorch {torch.__version__}",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "device": device.type,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "tf32": args.tf32, "threads": torch.get_num_threads(), "warmup": args.warmup, "warmup_seconds": args.warmup_seconds, "runs": args.runs,
        "steps_per_run": args.steps_per_run,
        "timing": "wall clock (time.perf_counter) around each window of steps_per_run whole training steps, the device"
                  " synchronised before and after; warm-up windows (warmup, and more until warmup_seconds) discarded; median, min and max over runs",
        "data": f"synthetic: pixels uniform in (0, 1], labels uniform in [0, 10), torch seed {args.seed},"
                " resident on the device",
        "results": results,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
