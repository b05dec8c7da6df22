#!/usr/bin/python3
# Calibration study of docs/evaluation.md: which normal maps should give the
# per-position statistics, pooled how, and which threshold rule.
#
#   /usr/bin/python3 testdata/calibration/study.py MAPDIR
#
# MAPDIR is what testdata/calibration/dumpmaps.go wrote. Needs NumPy and
# scikit-learn (Debian's python3-sklearn). The calibrated map is
# (raw - mean) / max(std, 0.01 * mean(std)), as model.RingStats floors it.
import sys

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

d = sys.argv[1]
train = np.load(d + "/train.npy")
val = np.load(d + "/val.npy")
test = np.load(d + "/test.npy")
lab = np.load(d + "/labels.npy")
masks = np.load(d + "/masks.npy")
S = test.shape[1]
yy, xx = np.mgrid[:S, :S]
dist = np.minimum(np.minimum(yy, xx), np.minimum(S - 1 - yy, S - 1 - xx))


def ring(maps):
    """Mean and std pooled over the pixels at the same border distance."""
    m, s = np.zeros((S, S)), np.zeros((S, S))
    for k in range(dist.max() + 1):
        sel = dist == k
        m[sel], s[sel] = maps[:, sel].mean(), maps[:, sel].std()
    return m, s


def pixel(maps):
    return maps.mean(0), maps.std(0)


def scores(maps, mean, std):
    z = (maps - mean) / std
    return z, z.reshape(len(z), -1).max(1)


def row(name, mean, std):
    std = np.maximum(std, 0.01 * std.mean())
    z, sc = scores(test, mean, std)
    _, vs = scores(val, mean, std)
    th = vs.max()
    print(f"| {name} | {100 * roc_auc_score(lab, sc):.1f} | {100 * roc_auc_score(masks.ravel(), z.ravel()):.1f} "
          f"| {th:.2f} | {np.mean(sc[lab == 0] >= th):.2f} | {np.mean(sc[lab == 1] >= th):.2f} |")


good = test[lab == 0]
at_border = np.sum(dist.ravel()[good.reshape(len(good), -1).argmax(1)] <= 2)
print(f"{len(train)} training, {len(val)} validation, {int((lab == 0).sum())} normal and {int(lab.sum())} anomalous test maps, {S}x{S}")
print(f"normal test images whose maximum is within 2 px of the border: {at_border} of {len(good)}")
for name, maps in [("training", train), ("validation", val)]:
    print(f"mean {name} map within 1 px of the border {maps[:, dist <= 1].mean():.4f}, 4 px or more inside {maps[:, dist >= 4].mean():.4f}")
print()
print("| statistics from | image AUROC | pixel AUROC | threshold (max val) | FPR | TPR |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
print(f"| none (raw map) | {100 * roc_auc_score(lab, test.reshape(len(test), -1).max(1)):.1f} | {100 * roc_auc_score(masks.ravel(), test.ravel()):.1f} | | | |")
print(f"| none, maximum 4 px inside | {100 * roc_auc_score(lab, test[:, dist >= 4].max(1)):.1f} | | | | |")
rng = np.random.default_rng(0)
for n in [8, 32, len(train)]:
    idx = rng.permutation(len(train))[:n]
    row(f"{n} training maps, per pixel", *pixel(train[idx]))
    row(f"{n} training maps, ring-pooled", *ring(train[idx]))
row(f"{len(val)} validation maps, per pixel", *pixel(val))
row(f"{len(val)} validation maps, ring-pooled", *ring(val))
row("8 validation maps, per pixel", *pixel(val[:8]))
row("8 validation maps, ring-pooled", *ring(val[:8]))
print()
print("threshold rules on the validation images' calibrated scores (ring-pooled statistics of all training maps):")
print()
print("| rule | threshold | FPR (normal test images) | TPR | F1 |")
print("| --- | ---: | ---: | ---: | ---: |")
m, s = ring(train)
s = np.maximum(s, 0.01 * s.mean())
_, vs = scores(val, m, s)
_, ts = scores(test, m, s)
for name, th in [("max", vs.max()), ("95% quantile", np.quantile(vs, 0.95)), ("mean + 3 sd", vs.mean() + 3 * vs.std()), ("mean + 2 sd", vs.mean() + 2 * vs.std())]:
    print(f"| {name} | {th:.2f} | {np.mean(ts[lab == 0] >= th):.3f} | {np.mean(ts[lab == 1] >= th):.3f} | {f1_score(lab, ts >= th):.3f} |")
print()
print("corners pooled apart: groups by (distance to the nearest border, distance to the other border clipped at K); K 0 is the ring:")
print()
print("| K | groups | image AUROC | threshold | FPR | TPR | normal test maxima within 2 px of a corner |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
ax_, ay_ = np.minimum(xx, S - 1 - xx), np.minimum(yy, S - 1 - yy)
for K in [0, 4, 16]:
    key = np.minimum(ax_, ay_) * 10000 + (np.minimum(np.maximum(ax_, ay_), K) if K > 0 else 0)
    m, s = np.zeros((S, S)), np.zeros((S, S))
    for k in np.unique(key):
        sel = key == k
        m[sel], s[sel] = train[:, sel].mean(), train[:, sel].std()
    s = np.maximum(s, 0.01 * s.mean())
    z, sc = scores(test, m, s)
    _, vs = scores(val, m, s)
    th = vs.max()
    g = z[lab == 0].reshape(int((lab == 0).sum()), -1).argmax(1)
    gy, gx = np.unravel_index(g, (S, S))
    corner = np.sum((np.minimum(gx, S - 1 - gx) <= 2) & (np.minimum(gy, S - 1 - gy) <= 2))
    print(f"| {K} | {len(np.unique(key))} | {100 * roc_auc_score(lab, sc):.1f} | {th:.2f} | {np.mean(sc[lab == 0] >= th):.2f} | {np.mean(sc[lab == 1] >= th):.2f} | {corner} of {len(g)} |")
