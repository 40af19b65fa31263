#!/usr/bin/env python3
"""Golden files for tests/io/kernelnet/nn/PyTorchGoldenTest.java (llm.c's test_gpt2 way): PyTorch computes one
batch of the seeds' mlp and cnn, and KernelNet must agree on every backend.

For each model, the PyTorch twin of mnist_twins.py (the same layers, NCHW) with its own initial parameters:
Glorot-uniform weights as mnist_twins.keras_init draws them, biases uniform in [-0.1, 0.1) (zero biases would leave
a bias added on the wrong axis unseen in the forward pass). The parameters are PyTorch's, not ours: the file then
depends on nothing of KernelNet's, and our initialisation is random anyway (its distribution is tested elsewhere).
The large kernels (BF16_MIN_ELEMENTS or more) are rounded to bfloat16, so that they are stored exactly in half the
bytes (the set must stay under 3 MB); the small ones stay float32: 3x3 filters of 8-bit weights would often hold
two equal weights, and on the digits' few grey levels those make exact max-pool ties between different patches.

Everything is computed in float64 on the CPU, so the golden values carry no float32 rounding of PyTorch's own (no
oneDNN or cuDNN algorithm choice, no TF32 on a GPU host): the test bounds KernelNet's float32 error against them.

The batch: the first 16 bundled training digits (data/; --start picks others), pixels byte / 255 in float32 as
MnistLoader makes them.

Rounding-error model (error_model), the scale of the test's bounds: a float32 implementation's error in each value,
to first order, is a sum of c_k d_k over its roundings d_k (each |d_k| <= u = 2^-24, independent, mean zero: the
standard probabilistic model); sigma = u sqrt(sum c_k^2), so that by Hoeffding P(|error| >= L sigma) <= 2 exp(-L^2/2).
A dot product of K terms (the bias one more) adds u^2 K (sum |w x| + |b|)^2 to its output's sigma^2 whatever the
summation order (a partial sum is at most the sum of the terms' magnitudes), and its inputs' sigma^2 arrive through
W^2; ReLU masks, max-pool choices and the dropout mask pass them on. Backward likewise: dLogits = (softmax - onehot)
/ n takes the logits' errors through the softmax's Jacobian, each input gradient sums B products (B = the layer's
fan-out) with (W^2)^T carrying the output gradient's sigma^2, and each weight gradient sums N products over the
batch (and positions) with the errors of both factors.

A ReLU input or a max-pool runner-up that float32 rounding puts on the other side of its kink changes a gradient
by far more than rounding: for every one within CONFIDENCE sigmas, over every forward pass the file's runs make (a
cnn batch has tens), the script backpropagates the change that taking the other side makes to every gradient, and
adds up their magnitudes per parameter and output unit (kink_allowances); the test allows that besides the
rounding. Exact max-pool
ties between positions with the same receptive field in the image need none (the gradient is the same whichever
wins), nor do windows whose winner is a ReLU zero.

The mlp's Dropout(0.2): a fixed mask drawn as torch's dropout draws it (Bernoulli(0.8) / 0.8), applied in every
step; the test hands the same mask to our Dropout layer (through the backend's dropout op), so the file covers the
seed model as it is, Dropout included, rather than a variant without it. Our Philox stream and PyTorch's generator
cannot agree, so the mask is data.

Each file (safetensors) holds:
  images [n, 1, 28, 28], labels [n], dropout_mask [n, 128] (mlp)
  initial/NAME          the parameters (BF16 or F32, see above), in KernelNet's names and layouts (a Linear weight
                        transposed to the Dense kernel [inputs, units]; conv weights [c_out, c_in, kh, kw] as they are)
  logits [n, 10], logits_sigma [n, 10]   the logits and their rounding errors' sigma
  gradient/NAME         the gradient of the batch's mean sparse cross-entropy
  kink_allowance/NAME   per output unit, the largest over every pass of kink_allowances (see above)
  adam/NAME             the parameters after 3 steps of torch.optim.Adam(lr 1e-3, betas (0.9, 0.999), eps 1e-7):
                        PyTorch's epsilon placement
  sgd/NAME              the parameters after 3 steps of torch.optim.SGD(lr 0.01, momentum 0.9)
  __metadata__: format, torch version, model, batch start, loss and loss_sigma (float64, as text), the optimizers'
  settings, confidence, gradient_sigmas (per parameter: its gradient's largest sigma over every pass the file's
  runs make), kinks (how many, all passes) and kink_margin (the nearest, in sigmas).

  /usr/bin/python3 bench/pytorch/make_golden.py      # writes tests/io/kernelnet/nn/golden/{mlp,cnn}.safetensors
"""
import argparse
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import mnist_twins

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
BATCH = 16
STEPS = 3
ADAM = {"lr": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "epsilon_placement": "pytorch"}
SGD = {"lr": 0.01, "momentum": 0.9}
U = 2.0 ** -24
# the test's bounds allow this many sigmas of rounding error (PyTorchGolden.CONFIDENCE)
CONFIDENCE = 8.0
BF16_MIN_ELEMENTS = 4096
# cnn: the image patch a pool's input position sees, (stride, size) of its receptive field
RECEPTIVE_FIELDS = {"cnn": [(1, 3), (2, 8)], "mlp": []}


class FixedMask(nn.Module):
    """The mlp's Dropout with a given mask (values 0 or 1 / (1 - rate)), the same in every step."""

    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, x):
        return x * self.mask


def our_names(model):
    """KernelNet's parameter names for the twin's Linear and Conv2d layers, in order."""
    names, counts = [], {}
    for layer in model:
        kind = "conv2d" if isinstance(layer, nn.Conv2d) else "dense" if isinstance(layer, nn.Linear) else None
        if kind is not None:
            k = counts.get(kind, 0)
            counts[kind] = k + 1
            prefix = kind if k == 0 else f"{kind}_{k}"
            names.append((layer, prefix + "/kernel", prefix + "/bias"))
    return names


def ours(layer, weight):
    """A weight in KernelNet's layout: a Linear's [units, inputs] transposed to the Dense kernel [inputs, units]."""
    return weight.t() if isinstance(layer, nn.Linear) else weight


def bfloat16(t):
    """Rounds float32 values to the nearest bfloat16 (ties to even); returns (float64 values, uint16 bits)."""
    bits = t.detach().to(torch.float32).numpy().view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    values = (rounded.astype(np.uint32) << 16).view(np.float32)
    return torch.from_numpy(values.astype(np.float64)).reshape(t.shape), rounded


def twin(name, seed, mask):
    torch.manual_seed(seed)
    model = mnist_twins.build(name, "cpu")
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for layer, _, _ in our_names(model):
            layer.bias.copy_(torch.rand(layer.bias.shape, generator=generator) * 0.2 - 0.1)
    model = model.double()
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() >= BF16_MIN_ELEMENTS:
                p.copy_(bfloat16(p)[0])
    if name == "mlp":
        model[3] = FixedMask(mask)
    return model


def affine(layer):
    """The layer's forward, weight-gradient and input-gradient ops, the terms of each of its dot products (with the
    bias), and the products each weight-gradient element sums (given the output gradient) and each input-gradient
    element at most sums."""
    w = layer.weight
    if isinstance(layer, nn.Linear):
        return (F.linear, lambda a, d: d.t() @ a, lambda shape, v, d: d @ v, w.shape[1] + 1,
                lambda d: d.shape[0], w.shape[0], lambda d: d.sum(0))
    return (F.conv2d, lambda a, d: torch.nn.grad.conv2d_weight(a, w.shape, d),
            lambda shape, v, d: torch.nn.grad.conv2d_input(shape, v, d), w[0].numel() + 1,
            lambda d: d.shape[0] * d.shape[2] * d.shape[3], w.shape[0] * w.shape[2] * w.shape[3],
            lambda d: d.sum((0, 2, 3)))


def error_model(name, model, x, labels, images_u8):
    """The rounding-error model of a float32 implementation of the twin at its current parameters (see the module
    docstring): returns the logits' sigma, the loss's sigma, {our parameter name: its gradient's largest sigma}, the
    kinks within CONFIDENCE sigmas (kink_allowances takes them) and the smallest kink distance in sigmas."""
    names = {layer: (kernel, bias) for layer, kernel, bias in our_names(model)}
    fields = iter(RECEPTIVE_FIELDS[name])
    h, var, tape, margin, kinks = x, torch.zeros_like(x), [], float("inf"), []
    relus, pools = 0, 0
    with torch.no_grad():
        for layer in model:
            if layer in names:
                forward, _, _, terms, _, _, _ = affine(layer)
                local = forward(h.abs(), layer.weight.abs(), layer.bias.abs())
                tape.append((layer, h, var))
                var = forward(var, layer.weight ** 2) + U ** 2 * terms * local ** 2
                h = forward(h, layer.weight, layer.bias)
            elif isinstance(layer, nn.ReLU):
                distance = h.abs() / var.sqrt()
                margin = min(margin, float(distance.min()))
                kinks += [("relu", relus, tuple(at)) for at in (distance < CONFIDENCE).nonzero().tolist()]
                relus += 1
                tape.append(("scale", (h > 0).double()))
                h, var = h * tape[-1][1], var * tape[-1][1]
            elif isinstance(layer, nn.MaxPool2d):
                distance, near = pool_kinks(h, var, next(fields), images_u8)
                margin = min(margin, distance)
                kinks += [("pool", pools) + k for k in near]
                pools += 1
                h_out, indices = F.max_pool2d(h, 2, return_indices=True)
                tape.append(("pool", indices, h.shape))
                var = var.flatten(2).gather(2, indices.flatten(2)).view(indices.shape)
                h = h_out
            elif isinstance(layer, FixedMask):
                tape.append(("scale", layer.mask))
                h, var = h * layer.mask, var * layer.mask ** 2
            else:
                tape.append(("shape", h.shape))
                h, var = h.flatten(1), var.flatten(1)
        logits_var = var
        n = x.shape[0]
        p = F.softmax(h, dim=1)
        delta = (p - F.one_hot(labels, 10).double()) / n
        loss = F.cross_entropy(h, labels)
        loss_var = (delta ** 2 * logits_var).sum() + U ** 2 * (n + 10) * (loss.abs() + h.abs().max()) ** 2
        # dLogits = (softmax - onehot) / n: the logits' errors through the softmax's Jacobian diag(p) - p p^T
        p2v = (p ** 2 * logits_var).sum(dim=1, keepdim=True)
        var = (p ** 2 * (p2v - p ** 2 * logits_var) + (p - p ** 2) ** 2 * logits_var) / n ** 2
        var = var + U ** 2 * 4 * delta ** 2
        sigmas = {}
        for entry in reversed(tape):
            if entry[0] == "scale":
                delta, var = delta * entry[1], var * entry[1] ** 2
            elif entry[0] == "pool":
                _, indices, shape = entry
                delta = F.max_unpool2d(delta, indices, 2, output_size=shape[-2:])
                var = F.max_unpool2d(var, indices, 2, output_size=shape[-2:])
            elif entry[0] == "shape":
                delta, var = delta.view(entry[1]), var.view(entry[1])
            else:
                layer, a, var_a = entry
                _, weight_grad, input_grad, _, products, fan_out, bias_grad = affine(layer)
                kernel, bias = names[layer]
                n_products = products(delta)
                var_w = (weight_grad(var_a, delta ** 2) + weight_grad(a ** 2, var)
                         + U ** 2 * n_products * weight_grad(a.abs(), delta.abs()) ** 2)
                var_b = bias_grad(var) + U ** 2 * n_products * bias_grad(delta.abs()) ** 2
                sigmas[kernel] = float(var_w.sqrt().max())
                sigmas[bias] = float(var_b.sqrt().max())
                var = (input_grad(a.shape, layer.weight ** 2, var)
                       + U ** 2 * fan_out * input_grad(a.shape, layer.weight.abs(), delta.abs()) ** 2)
                delta = input_grad(a.shape, layer.weight, delta)
    return logits_var.sqrt(), float(loss_var.sqrt()), sigmas, kinks, margin


def pool_kinks(h, var, field, images_u8):
    """The smallest gap between a 2x2 window's winner and runner-up, in sigmas of their difference, and the windows
    within CONFIDENCE sigmas as (output position, winner position, runner-up position) in h; windows whose winner is
    a ReLU zero (the gradient there is 0 whichever wins) and exact ties between positions with the same receptive
    field in the image (the gradient is the same whichever wins) do not count."""
    stride, size = field
    n, c, rows, cols = h.shape

    def windows(t):
        t = t[:, :, :rows // 2 * 2, :cols // 2 * 2].reshape(n, c, rows // 2, 2, cols // 2, 2)
        return t.permute(0, 1, 2, 4, 3, 5).reshape(n, c, rows // 2, cols // 2, 4)

    top, order = windows(h).sort(dim=-1, descending=True)
    top_var = windows(var).gather(-1, order)
    ratio = (top[..., 0] - top[..., 1]) / (top_var[..., 0] + top_var[..., 1]).sqrt()
    ratio[top[..., 0] <= 0] = float("inf")
    for at in ((top[..., 0] == top[..., 1]) & (top[..., 0] > 0)).nonzero().tolist():
        i, j = at[2] * 2, at[3] * 2
        cells = [(i + o // 2, j + o % 2) for o in order[tuple(at)][:2].tolist()]
        patches = [images_u8[at[0], r * stride:r * stride + size, q * stride:q * stride + size] for r, q in cells]
        if np.array_equal(*patches):
            ratio[tuple(at)] = float("inf")
    near = []
    for at in (ratio < CONFIDENCE).nonzero().tolist():
        i, j = at[2] * 2, at[3] * 2
        cells = [(at[0], at[1], i + o // 2, j + o % 2) for o in order[tuple(at)][:2].tolist()]
        near.append((tuple(at), cells[0], cells[1]))
    return float(ratio.min()), near


def kink_allowances(model, x, labels, kinks):
    """Per parameter and output unit (a Dense kernel's column, a conv kernel's output channel, a bias element), the
    most that taking the other side of every kink within CONFIDENCE sigmas could change an element of its gradient:
    for each such kink one backward pass of the change it makes (a ReLU input's gradient switched on or off; a
    max-pool window's gradient moved from its winner to its runner-up), the changes' magnitudes summed. The forward
    pass does not change: the values either side of a kink are within its sigmas. Returned in our layouts with the
    other axes of size 1 ([1, units] for a Dense kernel, [c_out, 1, 1, 1] for a conv kernel)."""
    relu_in, relu_out, pool_in, pool_out, h = [], [], [], [], x
    for layer in model:
        if isinstance(layer, nn.ReLU):
            relu_in.append(h)
            h = F.relu(h)
            relu_out.append(h)
        elif isinstance(layer, nn.MaxPool2d):
            pool_in.append(h)
            h = F.max_pool2d(h, 2)
            pool_out.append(h)
        else:
            h = layer(h)
    outputs = relu_out + pool_out
    dy = torch.autograd.grad(F.cross_entropy(h, labels), outputs, retain_graph=True)
    relu_dy, pool_dy = dy[:len(relu_out)], dy[len(relu_out):]
    named = [(p, key, layer) for layer, kernel, bias in our_names(model)
             for p, key in ((layer.weight, kernel), (layer.bias, bias))]
    allowance = {key: torch.zeros_like(p) for p, key, _ in named}
    for kink in kinks:
        if kink[0] == "relu":
            _, k, at = kink
            target, change = relu_in[k], torch.zeros_like(relu_in[k])
            change[at] = relu_dy[k][at]
        else:
            _, k, out, winner, runner = kink
            target, change = pool_in[k], torch.zeros_like(pool_in[k])
            change[winner] = -pool_dy[k][out]
            change[runner] = pool_dy[k][out]
        grads = torch.autograd.grad(target, [p for p, _, _ in named], change, retain_graph=True, allow_unused=True)
        for (p, key, _), g in zip(named, grads):
            if g is not None:
                allowance[key] += g.abs()
    per_unit = {}
    for p, key, layer in named:
        a = allowance[key].detach()
        if p is layer.bias:
            per_unit[key] = a
        elif isinstance(layer, nn.Linear):
            per_unit[key] = a.amax(dim=1).reshape(1, -1)
        else:
            per_unit[key] = a.amax(dim=(1, 2, 3)).reshape(-1, 1, 1, 1)
    return per_unit


def run(model, x, labels, optimizer, observe):
    """STEPS optimizer steps on the batch; observe(model) before each step (the forward passes the steps make)."""
    for _ in range(STEPS):
        observe(model)
        optimizer.zero_grad()
        F.cross_entropy(model(x), labels).backward()
        optimizer.step()


def trajectories(name, seed, mask, x, labels, observe):
    """The Adam run and the SGD run from the initial parameters; returns the two final models."""
    adam_model = twin(name, seed, mask)
    run(adam_model, x, labels, torch.optim.Adam(adam_model.parameters(), lr=ADAM["lr"],
        betas=(ADAM["beta_1"], ADAM["beta_2"]), eps=ADAM["epsilon"]), observe)
    sgd_model = twin(name, seed, mask)
    run(sgd_model, x, labels, torch.optim.SGD(sgd_model.parameters(), lr=SGD["lr"], momentum=SGD["momentum"]),
        observe)
    return adam_model, sgd_model


def batch(images, labels, start):
    u8 = images[start:start + BATCH]
    x = torch.from_numpy((u8.astype(np.float32) / np.float32(255)).astype(np.float64)).unsqueeze(1)
    return u8, x, torch.from_numpy(labels[start:start + BATCH].astype(np.int64))


def write_safetensors(path, tensors, metadata):
    """tensors: name -> (dtype "F32" or "BF16", shape, little-endian bytes), in order; header padded to 8 bytes."""
    header, offset = {"__metadata__": metadata}, 0
    for tensor, (dtype, shape, data) in tensors.items():
        header[tensor] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, data in tensors.values():
            f.write(data)


def f32(t):
    return ("F32", tuple(t.shape), t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes())


def golden(name, seed, images, labels, start, out):
    mask = torch.empty(BATCH, 128, dtype=torch.float64).bernoulli_(0.8, generator=torch.Generator().manual_seed(seed))
    mask = mask / 0.8
    u8, x, y = batch(images, labels, start)
    passes = []  # per forward pass of the runs: gradient sigmas, kink allowances, kinks counted, kink margin

    def observe(model):
        _, _, sigmas, kinks, margin = error_model(name, model, x, y, u8)
        passes.append((sigmas, kink_allowances(model, x, y, kinks), len(kinks), margin))

    adam_model, sgd_model = trajectories(name, seed, mask, x, y, observe)
    model = twin(name, seed, mask)
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    logits_sigma, loss_sigma, _, _, _ = error_model(name, model, x, y, u8)

    tensors = {"images": f32(x.float()), "labels": f32(y.double())}
    if name == "mlp":
        tensors["dropout_mask"] = f32(mask)
    named = {m: our_names(m) for m in (model, adam_model, sgd_model)}
    for layer, kernel, bias in named[model]:
        for key, p in ((kernel, ours(layer, layer.weight)), (bias, layer.bias)):
            if p.numel() >= BF16_MIN_ELEMENTS:
                bits = bfloat16(p.contiguous())[1]
                tensors["initial/" + key] = ("BF16", tuple(p.shape), bits.astype("<u2").tobytes())
            else:
                tensors["initial/" + key] = f32(p)
    tensors["logits"] = f32(logits)
    tensors["logits_sigma"] = f32(logits_sigma)
    for layer, kernel, bias in named[model]:
        tensors["gradient/" + kernel] = f32(ours(layer, layer.weight.grad))
        tensors["gradient/" + bias] = f32(layer.bias.grad)
    for key in passes[0][1]:
        tensors["kink_allowance/" + key] = f32(torch.stack([p[1][key] for p in passes]).amax(dim=0))
    for prefix, trained in (("adam/", adam_model), ("sgd/", sgd_model)):
        for layer, kernel, bias in named[trained]:
            tensors[prefix + kernel] = f32(ours(layer, layer.weight))
            tensors[prefix + bias] = f32(layer.bias)
    metadata = {
        "format": "kernelnet-golden/1",
        "torch": torch.__version__,
        "model": name,
        "batch_start": str(start),
        "computed_in": "float64",
        "loss": repr(float(loss)),
        "adam": json.dumps({**ADAM, "steps": STEPS}),
        "sgd": json.dumps({**SGD, "steps": STEPS}),
        "loss_sigma": repr(loss_sigma),
        "confidence": repr(CONFIDENCE),
        "gradient_sigmas": json.dumps({k: max(p[0][k] for p in passes) for k in passes[0][0]}),
        "kinks": str(sum(p[2] for p in passes)),
        "kink_margin": repr(min(p[3] for p in passes)),
    }
    path = os.path.join(out, name + ".safetensors")
    write_safetensors(path, tensors, metadata)
    print(json.dumps({"file": os.path.relpath(path), "bytes": os.path.getsize(path), "kinks": metadata["kinks"],
                      "kink_margin": metadata["kink_margin"], "loss": float(loss), "torch": torch.__version__}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.path.join(ROOT, "data"))
    parser.add_argument("--out", default=os.path.join(ROOT, "tests", "io", "kernelnet", "nn", "golden"))
    parser.add_argument("--start", type=int, default=0, help="the batch: training digits start .. start + 15")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    images = mnist_twins.read_idx(mnist_twins.find(args.data, "train-images-idx3-ubyte"))
    labels = mnist_twins.read_idx(mnist_twins.find(args.data, "train-labels-idx1-ubyte"))
    os.makedirs(args.out, exist_ok=True)
    for name in ("mlp", "cnn"):
        golden(name, args.seed, images, labels, args.start, args.out)


if __name__ == "__main__":
    main()
