"""Times PyTorch's N2N-M on a CUDA GPU: the peer of the WebGPU backend's
real-GPU rows, run by .ci/device-check where PyTorch with CUDA is installed.

Usage: python3 cmd/bench/torch_cuda_bench.py WF SIZE ITERS BATCH

Prints one JSON line {"device": name, "wf":.., "size":.., "batch":..,
"forward": [ms..], "detect": [ms..], "step": [ms..]}: per-run milliseconds,
each after one warm-up and with torch.cuda.synchronize() before the clock
stops, of the network's forward (batch 1, no grad), of detection (noise +
forward + MS-SSIM/L1 loss map, batch 1) and of a training step (noise,
forward, mean loss, backward, AdamW; BATCH images). The network and loss
are cmd/bench/torch_bench.py's (testdata/n2n_torch.py's network, PyTorch's
default init); the noise is drawn with torch.randn on the GPU (the same
work as the spec's, not its PCG draws, which testdata/n2n_torch.py makes
on the CPU with NumPy). Exits with status 3 and a message on stderr when
torch cannot be imported or sees no CUDA device. N2N_TORCH_DEVICE=cpu runs
the same on the CPU (a dry run of the script where there is no GPU).
"""

import json
import os
import sys
import time

try:
    import torch
except ImportError as e:  # the device machine may have no PyTorch
    print(f"torch_cuda_bench: no torch: {e}", file=sys.stderr)
    sys.exit(3)
DEV = torch.device(os.environ.get("N2N_TORCH_DEVICE", "cuda"))
if DEV.type == "cuda" and not torch.cuda.is_available():
    print("torch_cuda_bench: torch sees no CUDA device", file=sys.stderr)
    sys.exit(3)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_bench  # noqa: E402
from torch_bench import n2n_torch  # noqa: E402

# The loss's Gaussian taps, made on the CPU by n2n_torch, moved to the GPU.
_taps = n2n_torch.gaussian_taps
n2n_torch.gaussian_taps = lambda sigma: _taps(sigma).to(DEV)


def add_noise(x0, lam):
    """x = (1−λ)·x0 + λ·ε, ε = 0.5 + 0.5·z, z ~ N(0,1) drawn on the GPU."""
    return (1 - lam) * x0 + lam * (0.5 + 0.5 * torch.randn_like(x0))


def sync():
    if DEV.type == "cuda":
        torch.cuda.synchronize()


def timed(f, iters):
    """Milliseconds of iters runs of f after one warm-up, synchronised."""
    f()
    sync()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        f()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main():
    wf, size, iters, batch = (int(a) for a in sys.argv[1:5])
    net = n2n_torch.N2NM(wf, 4, size, True).to(DEV).eval()
    x = torch.rand(1, 3, size, size, device=DEV) * 2 - 1
    with torch.no_grad():
        fwd = timed(lambda: net(x), iters)
        det = timed(lambda: torch_bench.loss_map(x, net(add_noise(x, 0.3)), 0.84), iters)
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4, betas=(0.5, 0.999), weight_decay=0.01)
    xb = torch.rand(batch, 3, size, size, device=DEV) * 2 - 1

    def step():
        opt.zero_grad()
        torch_bench.loss_map(xb, net(add_noise(xb, 0.3)), 0.84).mean().backward()
        opt.step()

    steps = timed(step, iters)
    name = torch.cuda.get_device_name(0) if DEV.type == "cuda" else "cpu"
    print(json.dumps({"device": name, "wf": wf, "size": size, "batch": batch,
                      "forward": fwd, "detect": det, "step": steps}))


if __name__ == "__main__":
    main()
