"""Writes the PyTorch reference of one training step under testdata/ref/train/
that the Go training code (internal/model/train.go, adamw.go) is tested
against.

Command (from the repository root, with Debian's python3-torch 1.13):

    /usr/bin/python3 testdata/make_train_reference.py

Deterministic: the networks start from the committed weights files of
make_reference.py (testdata/ref/<net>/weights.safetensors), x0 comes from a
fixed seed, the noise from the project's counter-based generator, PyTorch
runs on one thread, and rerunning rewrites byte-identical files.

For each network: x0 (2,3,32,32) uniform in [−1,1]; step 1 noises x0 with
λ = 0.3 and seed 11, computes loss1 = mean(loss_map(x0, net(x))) (α = 0.84),
its gradients, and one torch.optim.AdamW step (lr 1e-3, betas (0.5, 0.999),
eps 1e-8, weight decay 0.01); step 2 does the same with seed 12. Written:
x0, loss1, loss2 (shape (1)), "grad.<name>" and "grad2.<name>" (the
gradients of steps 1 and 2), "w1.<name>" and "w2.<name>" (the weights after
steps 1 and 2). cosine_lr.safetensors holds "lr" (35), the learning rates
that CosineAnnealingLR(T_max 10, eta_min 1e-6) gives a base rate of 1e-4 at
epochs 0 to 34, by stepping the scheduler (past T_max, PyTorch's recursive
form keeps following the cosine, back up to the base rate at epoch 2·T_max).
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import n2n_torch as n2n  # noqa: E402

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ref")
ALPHA = 0.84
LAMBDA = 0.3
SEEDS = (11, 12)
LR = 1e-3
BETAS = (0.5, 0.999)
EPS = 1e-8
WEIGHT_DECAY = 0.01

# output file under ref/train/, network folder under ref/, x0 seed
CASES = [
    ("step.safetensors", "wf4_s32_d4_att", 1001),
    ("step_noatt.safetensors", "wf4_s32_d4_noatt", 1002),
]


def load_net(folder):
    """The N2NM of ref/<folder>/weights.safetensors, with those weights."""
    tensors, meta = n2n.read_safetensors(os.path.join(REF, folder, "weights.safetensors"))
    net = n2n.N2NM(int(meta["wf"]), int(meta["depth"]), int(meta["size"]), meta["attention"] == "true")
    net.load_state_dict(tensors)
    return net.float().train()


def step_case(out, folder, x0_seed):
    """Writes ref/train/<out>: two AdamW steps of the network in folder."""
    net = load_net(folder)
    gen = torch.Generator().manual_seed(x0_seed)
    x0 = -1 + 2 * torch.rand((2, 3, net.size, net.size), generator=gen, dtype=torch.float32)
    opt = torch.optim.AdamW(net.parameters(), lr=LR, betas=BETAS, eps=EPS, weight_decay=WEIGHT_DECAY)
    t = {"x0": x0}
    for k, seed in enumerate(SEEDS, start=1):
        opt.zero_grad()
        x = n2n.add_noise(x0, LAMBDA, seed)
        loss = n2n.loss_map(x0, net(x), ALPHA).mean()
        loss.backward()
        t[f"loss{k}"] = loss.detach().reshape(1)
        grad = "grad" if k == 1 else f"grad{k}"
        for name, p in net.named_parameters():
            t[f"{grad}.{name}"] = p.grad.detach().clone()
        opt.step()
        for name, p in net.named_parameters():
            t[f"w{k}.{name}"] = p.detach().clone()
    meta = {
        "weights": f"{folder}/weights.safetensors",
        "lambda": repr(LAMBDA),
        "alpha": repr(ALPHA),
        "seeds": ",".join(str(s) for s in SEEDS),
        "lr": repr(LR),
        "beta1": repr(BETAS[0]),
        "beta2": repr(BETAS[1]),
        "eps": repr(EPS),
        "weight_decay": repr(WEIGHT_DECAY),
    }
    n2n.write_safetensors(os.path.join(REF, "train", out), t, meta)


def cosine_lrs():
    """The learning rate of CosineAnnealingLR(T_max 10, eta_min 1e-6) on a
    base rate of 1e-4 at epochs 0 to 34, by stepping the scheduler."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=1e-6)
    lrs = []
    for _ in range(35):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return torch.tensor(lrs, dtype=torch.float32)


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(os.path.join(REF, "train"), exist_ok=True)
    for c in CASES:
        step_case(*c)
    n2n.write_safetensors(
        os.path.join(REF, "train", "cosine_lr.safetensors"),
        {"lr": cosine_lrs()},
        {"base": "0.0001", "eta_min": "1e-06", "t_max": "10"},
    )


if __name__ == "__main__":
    main()
