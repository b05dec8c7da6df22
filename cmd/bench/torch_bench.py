"""Times PyTorch's N2N-M forward pass, the peer of `go run ./cmd/bench`.

Usage (the bench command runs it): /usr/bin/python3 cmd/bench/torch_bench.py WF SIZE ITERS THREADS
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

import n2n_torch  # noqa: E402


def main():
    wf, size, iters, threads = (int(a) for a in sys.argv[1:5])
    torch.set_num_threads(threads)
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
        det = timed(lambda: n2n_torch.loss_map(x, net(n2n_torch.add_noise(x, 0.3, 0)), 0.84))
    print(json.dumps({"wf": wf, "size": size, "forward": fwd, "detect": det}))


if __name__ == "__main__":
    main()
