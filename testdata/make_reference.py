"""Writes the PyTorch reference outputs under testdata/ref/ that the Go
backends are tested against.

Command (from the repository root, with Debian's python3-torch 1.13):

    /usr/bin/python3 testdata/make_reference.py

Deterministic: every input and weight comes from a fixed seed, PyTorch runs
on one thread, and rerunning rewrites byte-identical files. The network,
noise, loss map and safetensors writer live in testdata/n2n_torch.py;
testdata/README.md lists every file and tensor name.
"""

import os
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import n2n_torch as n2n  # noqa: E402

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ref")
LAMBDA = 0.3
ALPHA = 0.84
NOISE_SEED = 7


def uniform(gen, shape, lo=-1.0, hi=1.0):
    """A float32 tensor of shape with values uniform in [lo, hi) from gen."""
    return lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=torch.float32)


def init_weights(net, seed):
    """Re-draws every conv weight of net as U(±1.2·sqrt(3/fan_in)) under
    seed, keeping PyTorch's default biases. PyTorch's default weight init
    (±sqrt(1/fan_in)) leaves x̂ of these random nets almost independent of
    the input (std about 0.05), He init (±sqrt(6/fan_in)) blows x̂ up to a
    std of about 10; this gain keeps x̂ roughly in [−1, 1] and visibly
    dependent on the input, like a trained net's."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("weight"):
                bound = 1.2 * (3.0 / (p.shape[1] * p.shape[2] * p.shape[3])) ** 0.5
                p.copy_(uniform(gen, p.shape, -bound, bound))
    return net


# ---------------------------------------------------------------- ops


def op_cases():
    """name → tensor for every per-op case ("<case>.<name>"), and metadata."""
    gen = torch.Generator().manual_seed(20240601)
    t = {}

    def case(name, **tensors):
        for k, v in tensors.items():
            t[f"{name}.{k}"] = v

    x = uniform(gen, (2, 5, 7, 9))
    w3, b3 = uniform(gen, (6, 5, 3, 3), -0.5, 0.5), uniform(gen, (6,), -0.5, 0.5)
    case("conv3", x=x, w=w3, b=b3, out=F.conv2d(x, w3, b3, padding=1))
    case("conv3_relu", x=x, w=w3, b=b3, out=F.relu(F.conv2d(x, w3, b3, padding=1)))
    w1, b1 = uniform(gen, (3, 5, 1, 1), -0.5, 0.5), uniform(gen, (3,), -0.5, 0.5)
    case("conv1", x=x, w=w1, b=b1, out=F.conv2d(x, w1, b1))
    case("conv1_nobias", x=x, w=w1, out=F.conv2d(x, w1))

    x = uniform(gen, (2, 5, 7, 9), -3, 3)
    case("relu", x=x, out=F.relu(x))
    case("sigmoid", x=x, out=torch.sigmoid(x))
    a, b = uniform(gen, (2, 5, 7, 9)), uniform(gen, (2, 5, 7, 9))
    case("add", a=a, b=b, out=a + b)
    x = uniform(gen, (2, 5, 7, 9))
    case("gap", x=x, out=x.mean(dim=(2, 3), keepdim=True))
    x = uniform(gen, (2, 3, 8, 10))
    case("avgpool2", x=x, out=F.avg_pool2d(x, 2))
    x = uniform(gen, (2, 3, 6, 8))
    case("unshuffle", x=x, out=F.pixel_unshuffle(x, 2))
    x = uniform(gen, (2, 12, 3, 4))
    case("shuffle", x=x, out=F.pixel_shuffle(x, 2))
    x = uniform(gen, (2, 3, 5, 6))
    for f in (2, 4, 8):
        up = F.interpolate(x, scale_factor=f, mode="bilinear", align_corners=False)
        case(f"up{f}", x=x, out=up)
    a, b = uniform(gen, (2, 3, 4, 5)), uniform(gen, (2, 2, 4, 5))
    case("concat", a=a, b=b, out=torch.cat([a, b], dim=1))
    y, w = uniform(gen, (2, 5, 4, 3)), uniform(gen, (2, 5, 1, 1), 0, 1)
    case("gate", y=y, w=w, out=y + y * w)

    torch.manual_seed(11)
    ram = n2n.RAM(6, 5, attention=True)
    x = uniform(gen, (2, 6, 8, 8))
    case("ram", x=x, out=ram(x), **dict(ram.state_dict()))

    torch.manual_seed(12)
    skff = n2n.SKFF(4, 4)
    with torch.no_grad():  # larger logits, so the softmax is far from uniform
        for p in skff.parameters():
            p.mul_(4)
    os_ = [uniform(gen, (2, 4, 8, 8)) for _ in range(4)]
    logits = skff.logits(os_)
    case("skff", out=skff(os_), **dict(skff.state_dict()))
    for i in range(4):
        case("skff", **{f"o.{i}": os_[i], f"logits.{i}": logits[i]})

    x = uniform(gen, (2, 3, 20, 23), 0, 1)
    for s in n2n.MSSSIM_SIGMAS:
        case(f"gauss_{s:g}", x=x, out=n2n.gaussian_blur(x, s))

    x0 = uniform(gen, (2, 3, 32, 32))
    xhat = (0.7 * x0 + 0.3 * uniform(gen, (2, 3, 32, 32))).clamp(-1, 1)
    m, ms, l1 = n2n.loss_terms(x0, xhat, ALPHA)
    case("lossmap", x0=x0, xhat=xhat, map=m, msssim=ms, l1=l1)

    x0 = uniform(gen, (2, 3, 8, 8))
    case("noise", x0=x0, out=n2n.add_noise(x0, LAMBDA, 1234))

    meta = {"lossmap.alpha": repr(ALPHA), "noise.lambda": repr(LAMBDA), "noise.seed": "1234"}
    return t, meta


# ---------------------------------------------------------------- networks

NETWORKS = [
    # folder, wf, size, depth, attention, weight seed
    ("wf4_s32_d4_att", 4, 32, 4, True, 1),
    ("wf4_s32_d4_noatt", 4, 32, 4, False, 2),
    ("wf8_s64_d3_att", 8, 64, 3, True, 3),
]


def network_case(folder, wf, size, depth, attention, seed):
    """Writes <folder>/weights.safetensors and io.safetensors; returns the net."""
    net = init_weights(n2n.make_net(wf, depth, size, attention, seed), seed)
    d = os.path.join(REF, folder)
    os.makedirs(d, exist_ok=True)
    n2n.save_weights(os.path.join(d, "weights.safetensors"), net, LAMBDA, ALPHA)

    gen = torch.Generator().manual_seed(100 + seed)
    x0 = uniform(gen, (2, 3, size, size))
    x = n2n.add_noise(x0, LAMBDA, NOISE_SEED)
    out = net.forward_all(x)
    io = {"x0": x0, "x": x, "map": n2n.loss_map(x0, out["xhat"], ALPHA)}
    io.update(out)
    meta = {"seed": str(NOISE_SEED), "lambda": repr(LAMBDA), "alpha": repr(ALPHA)}
    n2n.write_safetensors(os.path.join(d, "io.safetensors"), io, meta)
    return net


# ---------------------------------------------------------------- detect


def test_image():
    """A 32×32 RGB uint8 image (H,W,3): smooth gradients, a bright disc, a
    dark square and a one-pixel line."""
    yy, xx = np.mgrid[0:32, 0:32].astype(np.float64)
    r = 40 + 6 * xx
    g = 30 + 5 * yy
    b = 120 + 60 * np.sin(xx / 5.0) * np.cos(yy / 7.0)
    img = np.stack([r, g, b], axis=-1)
    disc = (xx - 21) ** 2 + (yy - 10) ** 2 <= 5.5**2
    img[disc] = (250, 230, 60)
    img[20:27, 5:12] = (20, 20, 90)
    img[28, 3:29] = (255, 255, 255)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def png_bytes(img):
    """An 8-bit RGB PNG (filter 0 on every row) of img (H,W,3) uint8."""

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)

    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(raw, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def detect_case(net):
    """Writes detect/input.png and detect/expected.safetensors for net."""
    d = os.path.join(REF, "detect")
    os.makedirs(d, exist_ok=True)
    img = test_image()
    with open(os.path.join(d, "input.png"), "wb") as f:
        f.write(png_bytes(img))
    v = torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1).unsqueeze(0) / 255
    x0 = (v - 0.5) / 0.5
    t = {"x0": x0[0]}
    for lam, tag in ((0.3, "0.3"), (0.0, "0")):
        xhat = net(n2n.add_noise(x0, lam, 0))
        t[f"recon_l{tag}"] = ((xhat + 1) / 2)[0]
        t[f"map_l{tag}"] = n2n.loss_map(x0, xhat, ALPHA)[0, 0]
    meta = {"weights": "wf4_s32_d4_att/weights.safetensors", "seed": "0", "alpha": repr(ALPHA)}
    n2n.write_safetensors(os.path.join(d, "expected.safetensors"), t, meta)


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(REF, exist_ok=True)
    with torch.no_grad():
        t, meta = op_cases()
        n2n.write_safetensors(os.path.join(REF, "ops.safetensors"), t, meta)
        nets = {c[0]: network_case(*c) for c in NETWORKS}
        detect_case(nets["wf4_s32_d4_att"])


if __name__ == "__main__":
    main()
