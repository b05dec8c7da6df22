#!/usr/bin/python3
"""Reference values for internal/metrics, written into testdata/metrics/.

Command (from the repository root, Debian's python3-sklearn 1.2, NumPy, SciPy):

    /usr/bin/python3 testdata/make_metrics_reference.py

Deterministic (fixed seeds): rerunning rewrites byte-identical files.

    /usr/bin/python3 testdata/make_metrics_reference.py --compare-large

writes nothing; it prints the exact AUPRO beside anomalib's procedure on larger synthetic sets
(20 maps of 128x128, smooth noise with blob defects), the sizes the Go doc's tolerance is about.

classification.json: image-level cases. For each case the scores (float64), the labels
(1 = anomalous) and what scikit-learn says:
  auroc       sklearn.metrics.roc_auc_score
  roc         sklearn.metrics.roc_curve(drop_intermediate=False): fpr, tpr, thresholds.
              scikit-learn 1.2 puts max(score)+1 as the first threshold (1.3 and later: inf);
              internal/metrics puts +Inf there, so the Go test compares thresholds[1:].
  pr          sklearn.metrics.precision_recall_curve: precision, recall, thresholds (ascending)
  best_f1     the F1-optimal point of that curve: F1 = 2PR/(P+R) at each threshold, the
              maximum, ties (within 1e-12) broken toward the lowest threshold (np.argmax over
              the ascending thresholds takes the first).
Cases with no anomalous (or no normal) sample have auroc null (roc_auc_score refuses them).

pixel.json: pixel-level cases, each a set of images (h x w, row-major), float32 maps with
values in [0, 1] and binary masks:
  pixel_auroc          roc_auc_score over all pixels of all images pooled
  regions              number of 8-connected components of the masks (each image labelled
                       on its own, scipy.ndimage.label with a 3x3 structure of ones)
  aupro                the area under the PRO curve up to max_fpr, divided by max_fpr, by the
                       definition (aupro_exact below)
  aupro_anomalib       the same quantity computed by anomalib's procedure (aupro_anomalib
                       below), for comparison; it approximates the definition (null for
                       all_equal, where that procedure gives NaN)
  pro_points           the number of points of the PRO curve of the definition (distinct
                       scores + 1, for the (0, 0) point)
Maps are stored as integers k (map = k / map_scale, exact in float32), masks as strings of 0/1.

AUPRO follows anomalib v2.0.0 (openvinotoolkit/anomalib, src/anomalib/metrics/aupro.py,
unchanged from v2.0.0 to the commit after it that we read, 161bb36): ground-truth regions are
the connected components of each image's mask found by cv2.connectedComponents (CPU) or
kornia's connected_components (GPU), both 8-connected; the false positive rate is taken over
all normal pixels of all images; the per-region overlap at a threshold is the fraction of the
region's pixels with score >= threshold, averaged over all regions of all images; the curve is
integrated with the trapezoid rule up to fpr_limit (0.3) and divided by it. aupro_exact
computes that definition exactly (every distinct score is a threshold, linear interpolation
at max_fpr); aupro_anomalib re-does anomalib's steps (a per-region ROC on background + region,
each resampled onto a common index grid, then averaged), written here from its description,
not copied. anomalib's binary_roc applies a sigmoid when scores leave [0, 1]; the scores here
stay in [0, 1], so it does not.
"""

import json
import os
import sys

import numpy as np
from scipy import ndimage
from sklearn.metrics import precision_recall_curve, roc_auc_score, roc_curve

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics")


def floats(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64)]


def short(a):
    """Scores rounded to 6 decimals, so the JSON stays small (the rounded values are the inputs)."""
    return np.round(np.asarray(a, dtype=np.float64), 6)


MAP_SCALE = 65536  # map values are k / MAP_SCALE, k an integer: exact in float32 and short in JSON


# ---------------------------------------------------------------- image level


def classification_case(name, scores, labels):
    scores = np.asarray(scores, dtype=np.float64)
    if name != "signed_zero_ties":
        scores = short(scores)
    labels = np.asarray(labels, dtype=bool)
    case = {"name": name, "scores": floats(scores), "labels": [int(x) for x in labels]}
    both = labels.any() and (~labels).any()
    case["auroc"] = float(roc_auc_score(labels, scores)) if both else None
    if both:
        fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=False)
        case["roc"] = {"fpr": floats(fpr), "tpr": floats(tpr), "thresholds": floats(thr)}
    if labels.any():
        p, r, thr = precision_recall_curve(labels, scores)
        case["pr"] = {"precision": floats(p), "recall": floats(r), "thresholds": floats(thr)}
        p, r = p[:-1], r[:-1]  # the last point (1, 0) has no threshold
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
        best = int(np.flatnonzero(f1 >= f1.max() - 1e-12)[0])
        case["best_f1"] = {
            "threshold": float(thr[best]),
            "f1": float(f1[best]),
            "precision": float(p[best]),
            "recall": float(r[best]),
        }
    return case


def classification_cases():
    rng = np.random.default_rng(20261130)
    cases = []
    n = 200
    labels = rng.random(n) < 0.3
    cases.append(classification_case("random", rng.random(n), labels))
    # anomalous samples score higher on average
    labels = rng.random(n) < 0.4
    cases.append(classification_case("separated_noisy", rng.normal(size=n) + 1.5 * labels, labels))
    labels = np.array([0, 0, 0, 1, 1, 0, 1, 0, 1, 1], dtype=bool)
    s = np.where(labels, 0.6, 0.2) + np.arange(10) * 0.01
    cases.append(classification_case("perfect", s, labels))
    cases.append(classification_case("inverted", -s, labels))
    # few distinct values: ties within and across the classes
    labels = rng.random(120) < 0.35
    cases.append(classification_case("ties", rng.integers(0, 6, 120) * 0.25 + 0.5 * labels * (rng.random(120) < 0.5), labels))
    cases.append(classification_case("all_equal", np.full(30, 0.7), rng.random(30) < 0.5))
    labels = np.zeros(25, dtype=bool)
    labels[17] = True
    cases.append(classification_case("one_positive", rng.random(25), labels))
    labels = rng.random(400) < 0.03
    cases.append(classification_case("imbalanced", rng.normal(size=400) + 2.0 * labels, labels))
    # negative scores, a -0 and +0 tie, and infinities
    cases.append(classification_case("signed_zero_ties", [-0.0, 0.0, -1.5, 2.0, 0.0, -0.0, 1e-30, -1e-30], [1, 0, 0, 1, 1, 0, 0, 1]))
    cases.append(classification_case("no_normal", [0.1, 0.5, 0.3], [1, 1, 1]))
    cases.append(classification_case("no_anomalous", [0.1, 0.5, 0.3], [0, 0, 0]))
    return cases


# ---------------------------------------------------------------- pixel level

EIGHT = np.ones((3, 3), dtype=int)


def components(masks):
    """Region index per pixel, 0 = normal, 1.. = 8-connected regions numbered across images."""
    out, offset = [], 0
    for m in masks:
        lab, n = ndimage.label(m, structure=EIGHT)
        out.append(np.where(lab > 0, lab + offset, 0))
        offset += n
    return np.concatenate([x.ravel() for x in out]), offset


def pro_curve_exact(scores, regions, n_regions):
    """FPR over normal pixels and mean region overlap at every distinct threshold (score >= t)."""
    order = np.argsort(-scores, kind="stable")
    s, r = scores[order], regions[order]
    normal = r == 0
    sizes = np.bincount(regions, minlength=n_regions + 1).astype(np.float64)
    weight = np.where(normal, 0.0, 1.0 / (sizes[r] * n_regions))
    fpr = np.cumsum(normal) / normal.sum()
    pro = np.cumsum(weight)
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]
    return np.r_[0.0, fpr[last]], np.r_[0.0, pro[last]]


def area_up_to(x, y, x_max):
    """Trapezoid area under the polyline (x, y), x non-decreasing, from 0 to x_max, y interpolated at x_max."""
    area = 0.0
    for i in range(1, x.size):
        x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
        if x1 <= x_max:
            area += (x1 - x0) * (y0 + y1) / 2
            continue
        y_at = y0 + (y1 - y0) * (x_max - x0) / (x1 - x0)
        area += (x_max - x0) * (y0 + y_at) / 2
        break
    return area


def aupro_exact(scores, regions, n_regions, max_fpr):
    fpr, pro = pro_curve_exact(scores, regions, n_regions)
    return area_up_to(fpr, pro, max_fpr) / max_fpr, fpr, pro


def roc_points(scores, target):
    """torchmetrics.binary_roc without thresholds: (0,0) then one point per distinct score."""
    fpr, tpr, _ = roc_curve(target, scores, drop_intermediate=False)
    return fpr, tpr


def interp_by_index(old_x, old_y, new_x):
    """anomalib's AUPRO.interp1d: linear, from the segment left of each new x, ends extrapolated."""
    eps = np.finfo(np.float32).eps
    slope = (old_y[1:] - old_y[:-1]) / (eps + (old_x[1:] - old_x[:-1]))
    idx = np.clip(np.searchsorted(old_x, new_x, side="left") - 1, 0, old_x.size - 2)
    return old_y[idx] + slope[idx] * (new_x - old_x[idx])


def aupro_anomalib(scores, regions, n_regions, max_fpr):
    """anomalib v2.0.0's AUPRO procedure (compute_pro, then auc / fpr[-1]), in NumPy."""
    target = regions > 0
    fpr_all, _ = roc_points(scores, target)
    size = int(np.count_nonzero(fpr_all <= max_fpr))
    tpr_sum, fpr_sum = np.zeros(size), np.zeros(size)
    grid = np.arange(size, dtype=np.float64)
    background = regions == 0
    for label in range(1, n_regions + 1):
        grid[-1] = size - 1
        region = regions == label
        keep = background | region
        f, t = roc_points(scores[keep], region[keep])
        limit = max_fpr
        if f[f <= max_fpr].max() == 0:
            limit = f[f > max_fpr].min()
        idx = np.flatnonzero(f <= limit)
        interp = False
        top = f[idx].max()
        if not abs(top - max_fpr) <= 1e-8 + 1e-5 * max_fpr:  # torch.allclose
            above = int(np.searchsorted(f, max_fpr, side="left"))
            idx = np.r_[idx, above]
            slope = 1 - (f[above] - max_fpr) / (f[above] - f[above - 1])
            interp = True
        f, t = f[idx], t[idx]
        pos = idx.astype(np.float64)
        pos = pos / pos.max() * grid.max()
        if interp:
            grid[-1] = pos[-2] + (pos[-1] - pos[-2]) * slope
        tpr_sum += interp_by_index(pos, t, grid)
        fpr_sum += interp_by_index(pos, f, grid)
    tpr, fpr = tpr_sum / n_regions, fpr_sum / n_regions
    order = np.argsort(fpr, kind="stable")
    return float(np.trapz(tpr[order], fpr[order]) / fpr[-1])


def draw_disc(m, cy, cx, r):
    yy, xx = np.mgrid[: m.shape[0], : m.shape[1]]
    m |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def pixel_case(name, maps, masks, max_fpr=0.3, anomalib=True):
    levels = [np.round(np.clip(np.asarray(m, dtype=np.float64), 0, 1) * MAP_SCALE).astype(np.int64) for m in maps]
    maps = [(k / MAP_SCALE).astype(np.float32) for k in levels]
    masks = [np.asarray(m, dtype=bool) for m in masks]
    h, w = maps[0].shape
    scores = np.concatenate([m.ravel() for m in maps]).astype(np.float64)
    target = np.concatenate([m.ravel() for m in masks])
    regions, n_regions = components(masks)
    assert (regions > 0).sum() == target.sum()
    aupro, fpr, pro = aupro_exact(scores, regions, n_regions, max_fpr)
    case = {
        "name": name,
        "h": h,
        "w": w,
        "map_scale": MAP_SCALE,
        "maps": [[int(x) for x in k.ravel()] for k in levels],
        "masks": ["".join("1" if x else "0" for x in m.ravel()) for m in masks],
        "max_fpr": max_fpr,
        "regions": n_regions,
        "pixel_auroc": float(roc_auc_score(target, scores)),
        "aupro": aupro,
        "aupro_anomalib": aupro_anomalib(scores, regions, n_regions, max_fpr) if anomalib else None,
        "pro_points": int(fpr.size),
    }
    return case


def smooth(rng, shape, sigma):
    return ndimage.gaussian_filter(rng.random(shape), sigma)


def pixel_cases():
    rng = np.random.default_rng(7)
    cases = []
    h, w = 20, 28

    # several images, several regions each, one region touching the border, one image defect-free,
    # maps that respond to the defects (but not perfectly) on a smooth noisy background
    masks = [np.zeros((h, w), dtype=bool) for _ in range(4)]
    draw_disc(masks[0], 6, 8, 3)
    draw_disc(masks[0], 14, 21, 4)
    masks[1][0:5, 18:28] = True  # touches the top and right borders
    masks[1][15:18, 3:6] = True
    masks[2][10, 10] = True  # one-pixel region
    masks[2][11, 11] = True  # touches the one above only diagonally: one 8-connected region
    masks[2][17:20, 0:9] = True  # touches the left border
    maps = []
    for m in masks:
        base = 0.35 * smooth(rng, (h, w), 1.5) + 0.1 * rng.random((h, w))
        resp = ndimage.gaussian_filter(m.astype(np.float64), 1.0) * rng.uniform(0.3, 0.7)
        maps.append(np.clip(base + resp, 0, 1))
    cases.append(pixel_case("multi_region", maps, masks))

    # the same masks with independent uniform maps
    cases.append(pixel_case("random", [rng.random((h, w)) for _ in masks], masks))

    # a perfect map, an inverted one
    perfect = [np.where(m, 0.8, 0.2) + 0.1 * rng.random((h, w)) for m in masks]
    cases.append(pixel_case("perfect", perfect, masks))
    cases.append(pixel_case("inverted", [1 - p for p in perfect], masks))

    # maps quantised to 9 levels: many ties within and across classes
    cases.append(pixel_case("ties", [np.round(m * 8) / 8 for m in maps], masks))

    # all pixels of all images equal
    # anomalib's procedure divides 0 by 0 here (its common grid has a single point): no value
    cases.append(pixel_case("all_equal", [np.full((h, w), 0.25) for _ in masks], masks, anomalib=False))

    # a single anomalous pixel among many, max_fpr 1 (the whole curve) and 0.05
    one = [np.zeros((h, w), dtype=bool) for _ in range(2)]
    one[1][h - 1, w - 1] = True
    tiny_maps = [rng.random((h, w)) for _ in one]
    cases.append(pixel_case("one_pixel", tiny_maps, one))
    cases.append(pixel_case("one_pixel_full", tiny_maps, one, max_fpr=1.0))
    cases.append(pixel_case("multi_region_fpr0.05", maps, masks, max_fpr=0.05))

    # a checkerboard: 4-connectivity would see every anomalous pixel as its own region,
    # 8-connectivity sees one region
    board = [(np.add.outer(np.arange(8), np.arange(8)) % 2 == 0)]
    board[0][:, 6:] = False
    cases.append(pixel_case("diagonal_only", [rng.random((8, 8))], board))
    return cases


def compare_large():
    rng = np.random.default_rng(11)
    for trial in range(3):
        h = w = 128
        masks, maps = [], []
        for i in range(20):
            m = np.zeros((h, w), dtype=bool)
            if i % 4:  # a quarter of the images are defect-free
                for _ in range(rng.integers(1, 4)):
                    draw_disc(m, rng.integers(0, h), rng.integers(0, w), rng.integers(2, 12))
            base = 0.5 * smooth(rng, (h, w), 2.0) + 0.1 * rng.random((h, w))
            resp = ndimage.gaussian_filter(m.astype(np.float64), 2.0) * rng.uniform(0.05, 0.4)
            masks.append(m)
            maps.append(np.clip(base + resp, 0, 1).astype(np.float32))
        scores = np.concatenate([m.ravel() for m in maps]).astype(np.float64)
        regions, n_regions = components(masks)
        exact = aupro_exact(scores, regions, n_regions, 0.3)[0]
        anomalib = aupro_anomalib(scores, regions, n_regions, 0.3)
        print(f"trial {trial}: {n_regions} regions, {scores.size} pixels: exact {exact:.6f}, anomalib {anomalib:.6f}, difference {anomalib - exact:+.2e}")


def main():
    if sys.argv[1:] == ["--compare-large"]:
        compare_large()
        return
    os.makedirs(OUT, exist_ok=True)
    for name, cases in (("classification.json", classification_cases()), ("pixel.json", pixel_cases())):
        with open(os.path.join(OUT, name), "w") as f:
            json.dump({"cases": cases}, f, separators=(",", ":"))
            f.write("\n")
        print(name, [c["name"] for c in cases])
    for c in pixel_cases():
        a = c["aupro_anomalib"]
        a = "-" if a is None else f"{a:.6f}"
        print(f"{c['name']:>22}: regions {c['regions']:2d}  aupro {c['aupro']:.6f}  anomalib {a}  pixel auroc {c['pixel_auroc']:.6f}")


if __name__ == "__main__":
    main()
