"""PyTorch reference of N2N-M v1 (spec: /work/shared/spec/n2n-m.md).

The network, the counter-based noise, the MS-SSIM/L1 loss map and a
hand-written safetensors writer, all in float32 NCHW. make_reference.py uses
this module to write the reference outputs under testdata/ref/ that the Go
backends are tested against; a benchmark script may import it to time
PyTorch's forward pass. Runs with Debian's python3-torch 1.13 and NumPy
(/usr/bin/python3); no other packages.

Parameter names and shapes are exactly the spec's weights-file names:
stem.{i}, down.{i}, eram.{i}.proj|fc1|fc2, eblock.{i}.conv1|conv2, up.{i},
dram.{i}.proj|fc1|fc2, dblock.{i}.conv1|conv2, side.{i}, skff.fc,
skff.fcs.{i}, head (every one a 2-D conv, weight (out, in, k, k)).
"""

import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MSSSIM_SIGMAS = (0.5, 1.0, 2.0, 4.0, 8.0)
SSIM_C1 = 0.01 * 0.01
SSIM_C2 = 0.03 * 0.03


# ---------------------------------------------------------------- modules


def conv(cin, cout, k, bias=True):
    """A k×k convolution, stride 1, zero padding k//2."""
    return nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias)


class Block(nn.Module):
    """Block(C): conv3(C→C) → ReLU → conv3(C→C) → ReLU."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = conv(c, c, 3)
        self.conv2 = conv(c, c, 3)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))))


class RAM(nn.Module):
    """RAM(a→b) residual attention: y = proj(x); out = y + y⊙w with
    w = sigmoid(fc2(ReLU(fc1(mean_HW y)))), fc1: b→h, fc2: h→b,
    h = max(b//8, 4). Without attention, out = y and fc1/fc2 do not exist."""

    def __init__(self, a, b, attention=True):
        super().__init__()
        self.attention = attention
        self.proj = conv(a, b, 1)
        if attention:
            h = max(b // 8, 4)
            self.fc1 = conv(b, h, 1)
            self.fc2 = conv(h, b, 1)

    def gate(self, y):
        """The attention weights w (N,b,1,1) for y (N,b,H,W)."""
        s = y.mean(dim=(2, 3), keepdim=True)
        return torch.sigmoid(self.fc2(F.relu(self.fc1(s))))

    def forward(self, x):
        y = self.proj(x)
        if not self.attention:
            return y
        return y + y * self.gate(y)


class Down(nn.Conv2d):
    """Down(a→b): pixel-unshuffle ×2 then conv1(4a→b). A Conv2d itself, so
    its parameters are named down.{i}.weight|bias as the spec says."""

    def __init__(self, a, b):
        super().__init__(4 * a, b, 1)

    def forward(self, x):
        return super().forward(F.pixel_unshuffle(x, 2))


class Up(nn.Conv2d):
    """Up(a→b): pixel-shuffle ×2 then conv1(a/4→b), named up.{i}.weight|bias."""

    def __init__(self, a, b):
        super().__init__(a // 4, b, 1)

    def forward(self, x):
        return super().forward(F.pixel_shuffle(x, 2))


class SKFF(nn.Module):
    """SKFF(c, n): U = Σ o_i; z = ReLU(fc(mean_HW U)) with fc: c→d, no bias,
    d = max(c//8, 4); a_i = fcs[i](z), d→c, no bias; softmax over i per
    (n, channel); out = Σ softmax_i ⊙ o_i."""

    def __init__(self, c, n):
        super().__init__()
        d = max(c // 8, 4)
        self.fc = conv(c, d, 1, bias=False)
        self.fcs = nn.ModuleList([conv(d, c, 1, bias=False) for _ in range(n)])

    def logits(self, os):
        """The a_i before the softmax, each (N,c,1,1)."""
        u = os[0]
        for o in os[1:]:
            u = u + o
        z = F.relu(self.fc(u.mean(dim=(2, 3), keepdim=True)))
        return [fc(z) for fc in self.fcs]

    def forward(self, os):
        a = torch.stack(self.logits(os), dim=0)  # (n, N, c, 1, 1)
        p = torch.softmax(a, dim=0)
        out = p[0] * os[0]
        for i in range(1, len(os)):
            out = out + p[i] * os[i]
        return out


class N2NM(nn.Module):
    """The N2N-M network of the spec. forward(x) takes x (N,3,S,S) and
    returns x̂ (N,3,S,S); forward_all also returns the intermediates."""

    def __init__(self, wf=32, depth=4, size=256, attention=True):
        super().__init__()
        assert size % (1 << (depth - 1)) == 0, "size must be divisible by 2^(depth-1)"
        self.wf, self.depth, self.size, self.attention = wf, depth, size, attention
        c = [wf << i for i in range(depth)]
        d = lambda m: nn.ModuleDict({str(i): v for i, v in m.items()})  # noqa: E731
        self.stem = d({i: conv(3, wf, 3) for i in range(depth)})
        self.down = d({i: Down(c[i - 1], c[i]) for i in range(1, depth)})
        self.eram = d({i: RAM(c[i] + wf, c[i], attention) for i in range(1, depth)})
        self.eblock = d({i: Block(c[i]) for i in range(depth)})
        self.up = d({i: Up(c[i + 1], c[i]) for i in range(depth - 1)})
        self.dram = d({i: RAM(2 * c[i], c[i], attention) for i in range(depth - 1)})
        self.dblock = d({i: Block(c[i]) for i in range(depth - 1)})
        self.side = d({i: conv(c[i], wf, 3) for i in range(depth)})
        self.skff = SKFF(wf, depth)
        self.head = conv(wf, 3, 3)

    def forward_all(self, x):
        """x (N,3,S,S) → dict with "xhat" (N,3,S,S), "E.{i}", "D.{i}"
        (N,C_i,S/2^i,S/2^i) and "o.{i}" (N,wf,S,S, after upsampling)."""
        n = self.depth
        xs = [x]
        for _ in range(1, n):
            xs.append(F.avg_pool2d(xs[-1], 2))
        E = [self.eblock["0"](self.stem["0"](xs[0]))]
        for i in range(1, n):
            k = str(i)
            cat = torch.cat([self.down[k](E[i - 1]), self.stem[k](xs[i])], dim=1)
            E.append(self.eblock[k](self.eram[k](cat)))
        D = [None] * n
        D[n - 1] = E[n - 1]
        for i in range(n - 2, -1, -1):
            k = str(i)
            cat = torch.cat([self.up[k](D[i + 1]), E[i]], dim=1)
            D[i] = self.dblock[k](self.dram[k](cat))
        os = []
        for i in range(n):
            o = self.side[str(i)](D[i])
            if i > 0:
                o = F.interpolate(o, scale_factor=2 ** i, mode="bilinear", align_corners=False)
            os.append(o)
        out = {"xhat": self.head(self.skff(os))}
        for i in range(n):
            out[f"E.{i}"] = E[i]
            out[f"D.{i}"] = D[i]
            out[f"o.{i}"] = os[i]
        return out

    def forward(self, x):
        return self.forward_all(x)["xhat"]

    def metadata(self, lam=0.3, alpha=0.84):
        """The weights file's __metadata__ (every value a string)."""
        return {
            "wf": str(self.wf),
            "depth": str(self.depth),
            "size": str(self.size),
            "lambda": repr(float(lam)),
            "alpha": repr(float(alpha)),
            "attention": "true" if self.attention else "false",
            "format": "n2n-m",
            "version": "1",
        }


def make_net(wf, depth, size, attention, seed):
    """A float32 N2NM with PyTorch's default conv init under torch.manual_seed(seed)."""
    torch.manual_seed(seed)
    return N2NM(wf, depth, size, attention).float().eval()


# ---------------------------------------------------------------- noise

_M32 = np.uint64(0xFFFFFFFF)


def pcg_hash(v):
    """PCG-RXS-M-XS 32-bit hash of v (array or int), arithmetic mod 2^32,
    as backend.PCGHash. Returns uint64 values < 2^32."""
    v = np.asarray(v, dtype=np.uint64) & _M32
    state = (v * np.uint64(747796405) + np.uint64(2891336453)) & _M32
    word = (((state >> ((state >> np.uint64(28)) + np.uint64(4))) ^ state) * np.uint64(277803737)) & _M32
    return ((word >> np.uint64(22)) ^ word) & _M32


def noise_normal(n, seed):
    """The standard normal draws z for flat indices 0..n-1 under a uint32
    seed, float32, bit for bit as backend.NoiseNormal (computed in float64,
    then rounded)."""
    i = np.arange(n, dtype=np.uint64)
    k = pcg_hash(np.uint64(seed))
    h1 = pcg_hash(pcg_hash((np.uint64(2) * i) & _M32) ^ k)
    h2 = pcg_hash(pcg_hash((np.uint64(2) * i + np.uint64(1)) & _M32) ^ k)
    u1 = ((h1 >> np.uint64(8)) + np.uint64(1)).astype(np.float64) * 2.0**-24
    u2 = (h2 >> np.uint64(8)).astype(np.float64) * 2.0**-24
    return (np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)).astype(np.float32)


def add_noise(x0, lam, seed):
    """x = (1−λ)·x0 + λ·ε, ε = 0.5 + 0.5·z, z from noise_normal over the flat
    NCHW index of the whole tensor x0. All float32: ε = 0.5 + 0.5·z, then
    (1−λ)·x0 + λ·ε with λ and 1−λ rounded to float32 first."""
    z = torch.from_numpy(noise_normal(x0.numel(), seed)).view_as(x0)
    eps = 0.5 + 0.5 * z
    lam32 = torch.tensor(lam, dtype=torch.float32)
    return (1 - lam32) * x0 + lam32 * eps


# ---------------------------------------------------------------- loss map


def gaussian_taps(sigma):
    """The 2r+1 taps of G_σ, r = ceil(3σ), exp(−t²/2σ²) normalised to sum 1
    in float64, then rounded to float32 (as backend.GaussianTaps)."""
    r = math.ceil(3 * sigma)
    t = [math.exp(-(d * d) / (2 * sigma * sigma)) for d in range(-r, r + 1)]
    s = sum(t)
    return torch.tensor([v / s for v in t], dtype=torch.float32)


def _blur_axis(x, taps, dim):
    """1-D convolution of x along dim with edge replication (indices
    clamped, so a radius larger than the side is fine)."""
    r = (len(taps) - 1) // 2
    n = x.shape[dim]
    idx = torch.arange(n)
    out = torch.zeros_like(x)
    for j in range(len(taps)):
        src = (idx + (j - r)).clamp(0, n - 1)
        out = out + taps[j] * x.index_select(dim, src)
    return out


def gaussian_blur(x, sigma):
    """G_σ ∗ x per channel for x (N,C,H,W): along W first, then along H."""
    taps = gaussian_taps(sigma)
    return _blur_axis(_blur_axis(x, taps, 3), taps, 2)


def loss_terms(x0, xhat, alpha):
    """x0, xhat (N,3,H,W) in [−1,1] → (map, msssim, l1), each (N,1,H,W):
    msssim = channel mean of l·Π_j cs_j, l1 = G_8 ∗ channel mean |a−b|,
    map = α(1−msssim) + (1−α)·l1, with a = (x0+1)/2, b = (xhat+1)/2."""
    a = (x0 + 1) / 2
    b = (xhat + 1) / 2
    prod = None
    for sigma in MSSSIM_SIGMAS:
        g = lambda t: gaussian_blur(t, sigma)  # noqa: E731
        mu_a, mu_b = g(a), g(b)
        va = g(a * a) - mu_a * mu_a
        vb = g(b * b) - mu_b * mu_b
        cab = g(a * b) - mu_a * mu_b
        cs = (2 * cab + SSIM_C2) / (va + vb + SSIM_C2)
        prod = cs if prod is None else prod * cs
    l = (2 * mu_a * mu_b + SSIM_C1) / (mu_a * mu_a + mu_b * mu_b + SSIM_C1)  # mu at σ = 8
    msssim = (l * prod).mean(dim=1, keepdim=True)
    l1 = gaussian_blur((a - b).abs().mean(dim=1, keepdim=True), MSSSIM_SIGMAS[-1])
    alpha32 = torch.tensor(alpha, dtype=torch.float32)
    m = alpha32 * (1 - msssim) + (1 - alpha32) * l1
    return m, msssim, l1


def loss_map(x0, xhat, alpha):
    """The spec's loss/anomaly map (N,1,H,W) for x0, xhat (N,3,H,W) in [−1,1]."""
    return loss_terms(x0, xhat, alpha)[0]


# ---------------------------------------------------------------- safetensors


def safetensors_bytes(tensors, metadata=None):
    """The safetensors encoding of tensors (name → float32 tensor) with
    string metadata: 8-byte little-endian header length, a JSON header
    (keys sorted, padded with spaces to a multiple of 8), then the raw
    little-endian float32 data of each tensor in name order."""
    header = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        raw = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    if metadata:
        for k, v in metadata.items():
            assert isinstance(v, str), f"metadata {k} must be a string"
        header["__metadata__"] = dict(metadata)
    h = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def write_safetensors(path, tensors, metadata=None):
    """Writes tensors and metadata to path as safetensors (see safetensors_bytes)."""
    with open(path, "wb") as f:
        f.write(safetensors_bytes(tensors, metadata))


def read_safetensors(path):
    """Reads a float32 safetensors file: (name → tensor, metadata)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", name
        s, t = e["data_offsets"]
        arr = np.frombuffer(data[base + s : base + t], dtype="<f4").reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


def save_weights(path, net, lam=0.3, alpha=0.84):
    """Writes net's state_dict as the spec's weights file."""
    write_safetensors(path, dict(net.state_dict()), net.metadata(lam, alpha))
