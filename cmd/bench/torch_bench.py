"""Times PyTorch's N2N-M forward pass, the peer of `go run ./cmd/bench`.

Usage (the bench command runs it): /usr/bin/python3 cmd/bench/torch_bench.py WF SIZE ITERS THREADS [BATCH]
or: torch_bench.py conv CIN COUT SIDE K ITERS THREADS: {"conv": [ms..]} of one k×k convolution
(with bias and ReLU) of a (1,CIN,SIDE,SIDE) input.
With BATCH, it times training steps instead: {"wf":..,"size":..,"batch":..,"step":[ms..]}, one
step being noise, forward, the mean MS-SSIM/L1 loss, backward and an AdamW update (the spec's
optimizer settings).
Prints one JSON line: {"wf":..,"size":..,"forward":[ms..],"detect":[ms..]}, the
per-iteration milliseconds of the network's forward pass and of noise + forward +
MS-SSIM/L1 loss map, each after one warm-up.
The network is testdata/n2n_torch.py's, with PyTorch's default init.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "testdata"))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import n2n_torch  # noqa: E402


def blur(x, sigma):
    """G_σ ∗ x per channel, edge-replicate padding, as two depthwise convs:
    the fast PyTorch way of testdata/n2n_torch.py's gaussian_blur (which
    loops over taps for clarity)."""
    taps = n2n_torch.gaussian_taps(sigma)
    r, c = (len(taps) - 1) // 2, x.shape[1]
    x = F.pad(x, (r, r, r, r), mode="replicate")
    x = F.conv2d(x, taps.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, taps.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def loss_map(x0, xhat, alpha):
    """n2n_torch.loss_map with the fast blur."""
    a, b = (x0 + 1) / 2, (xhat + 1) / 2
    prod = 1
    for sigma in n2n_torch.MSSSIM_SIGMAS:
        mu_a, mu_b = blur(a, sigma), blur(b, sigma)
        va, vb = blur(a * a, sigma) - mu_a * mu_a, blur(b * b, sigma) - mu_b * mu_b
        cab = blur(a * b, sigma) - mu_a * mu_b
        prod = prod * (2 * cab + n2n_torch.SSIM_C2) / (va + vb + n2n_torch.SSIM_C2)
    lum = (2 * mu_a * mu_b + n2n_torch.SSIM_C1) / (mu_a * mu_a + mu_b * mu_b + n2n_torch.SSIM_C1)
    msssim = (lum * prod).mean(dim=1, keepdim=True)
    l1 = blur((a - b).abs().mean(dim=1, keepdim=True), n2n_torch.MSSSIM_SIGMAS[-1])
    return alpha * (1 - msssim) + (1 - alpha) * l1


def train_steps(wf, size, iters, batch):
    """Milliseconds of iters training steps after one warm-up."""
    net = n2n_torch.N2NM(wf, 4, size, True)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4, betas=(0.5, 0.999), weight_decay=0.01)
    x0 = torch.rand(batch, 3, size, size) * 2 - 1
    times = []
    for i in range(iters + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_map(x0, net(n2n_torch.add_noise(x0, 0.3, i)), 0.84).mean()
        loss.backward()
        opt.step()
        if i > 0:
            times.append((time.perf_counter() - t0) * 1000)
    return times


def conv_times(cin, cout, side, k, iters):
    """Milliseconds of iters k×k convolutions with bias and ReLU."""
    conv = torch.nn.Conv2d(cin, cout, k, padding=k // 2)
    x = torch.rand(1, cin, side, side)
    times = []
    with torch.no_grad():
        for i in range(iters + 1):
            t0 = time.perf_counter()
            F.relu(conv(x))
            if i > 0:
                times.append((time.perf_counter() - t0) * 1000)
    return times


def main():
    if sys.argv[1] == "conv":
        cin, cout, side, k, iters, threads = (int(a) for a in sys.argv[2:8])
        torch.set_num_threads(threads)
        print(json.dumps({"conv": conv_times(cin, cout, side, k, iters)}))
        return
    wf, size, iters, threads = (int(a) for a in sys.argv[1:5])
    torch.set_num_threads(threads)
    # Denormals appear after a few AdamW steps and slow PyTorch's CPU
    # kernels several-fold; flushing them is how PyTorch is run for speed.
    torch.set_flush_denormal(True)
    if len(sys.argv) > 5:
        batch = int(sys.argv[5])
        print(json.dumps({"wf": wf, "size": size, "batch": batch, "step": train_steps(wf, size, iters, batch)}))
        return
    net = n2n_torch.N2NM(wf, 4, size, True).eval()
    x = torch.rand(1, 3, size, size) * 2 - 1

    def timed(f):
        f()  # warm-up
        times = []
        for _ in range(iters):
            t0 = time.perf_counter()
            f()
            times.append((time.perf_counter() - t0) * 1000)
        return times

    with torch.no_grad():
        fwd = timed(lambda: net(x))
        det = timed(lambda: loss_map(x, net(n2n_torch.add_noise(x, 0.3, 0)), 0.84))
    print(json.dumps({"wf": wf, "size": size, "forward": fwd, "detect": det}))


if __name__ == "__main__":
    main()
