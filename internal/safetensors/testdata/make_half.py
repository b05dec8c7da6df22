"""Writes half.safetensors: float32 values and PyTorch's float16 and
bfloat16 roundings of them, the reference for the package's F16/BF16
conversions.

Command (from the repository root, with Debian's python3-torch 1.13):

    /usr/bin/python3 internal/safetensors/testdata/make_half.py

Tensors, all of shape (N,): "x" F32, the inputs (edge cases, every
every 31st gap between neighbouring binary16s probed at its midpoint and
the float32s either side, log-uniform random values of both signs
from 2^-30 to 65504); "x_f16" F16 = x.half(); "x_bf16" BF16 = x.bfloat16().
Deterministic (fixed seed): rerunning rewrites a byte-identical file.
"""

import json
import os
import struct

import torch

torch.manual_seed(20261130)
edge = [0.0, -0.0, 1.0, -1.0, 65504.0, -65504.0, 65519.0, 2.0**-24, 2.0**-25, 3 * 2.0**-26,
        2.0**-14, 2.0**-14 - 2.0**-24, 1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 1.0 / 3, 1e-30, 1e-8]
mags = torch.exp2(torch.rand(4000, dtype=torch.float64) * 46 - 30)
signs = torch.where(torch.rand(4000) < 0.5, -1.0, 1.0).double()
rand = (mags * signs).clamp(-65504, 65504)
# float32 values exactly halfway between neighbouring float16s (ties), and either side.
lo = torch.arange(0, 0x7bff, 31, dtype=torch.int32).to(torch.int16)
mid = (lo.view(torch.float16).double() + (lo + 1).view(torch.float16).double()) / 2
x = torch.cat([torch.tensor(edge, dtype=torch.float64), rand, mid, -mid,
               torch.nextafter(mid.float(), torch.tensor(0.0)).double(),
               torch.nextafter(mid.float(), torch.tensor(1e9)).double()]).float()
x = x[x.abs() <= 65519.0]

tensors = {"x": ("F32", x.numpy().tobytes()),
           "x_f16": ("F16", x.half().numpy().tobytes()),
           "x_bf16": ("BF16", x.bfloat16().view(torch.int16).numpy().tobytes())}
header, data, offset = {}, b"", 0
for name in sorted(tensors):
    dtype, raw = tensors[name]
    header[name] = {"dtype": dtype, "shape": [len(x)], "data_offsets": [offset, offset + len(raw)]}
    data += raw
    offset += len(raw)
head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
head += b" " * (-len(head) % 8)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "half.safetensors")
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(head)) + head + data)
print(f"wrote {out}: {len(x)} values")
