// upsample_bilinear by an integer factor f, PyTorch
// interpolate(mode="bilinear", align_corners=False): for each axis
// src = max((dst + 0.5)·scale − 0.5, 0) with scale = 1/f, i0 = floor(src),
// i1 = min(i0 + 1, size − 1), weights (1 − (src − i0), src − i0).
// Layout: x (N,C,H,W), y (N,C,f·H,f·W); one invocation per run of 4
// outputs of a row (ox = 4k..4k+3), which share the row's index arithmetic
// and weights.

struct Params {
    n: u32,       // elements of y
    h: u32,       // H
    w: u32,       // W
    f: u32,       // factor
    scale: f32,   // 1/f, rounded to f32 as PyTorch does
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

// lerp returns output column ox of the row interpolated from input rows
// r0 and r1 (offsets into x) with weight ly on r1, if ox is inside the row.
fn lerp(i: u32, ox: u32, r0: u32, r1: u32, ly: f32) {
    if (ox >= p.w * p.f) {
        return;
    }
    let sx = max((f32(ox) + 0.5) * p.scale - 0.5, 0.0);
    let x0 = u32(sx);
    let x1 = min(x0 + 1u, p.w - 1u);
    let lx = sx - f32(x0);
    let top = (1.0 - lx) * x[r0 + x0] + lx * x[r0 + x1];
    let bottom = (1.0 - lx) * x[r1 + x0] + lx * x[r1 + x1];
    y[i] = (1.0 - ly) * top + ly * bottom;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = gid.x + gid.y * nwg.x * 256u;
    let wo = p.w * p.f;
    let ho = p.h * p.f;
    let wb = (wo + 3u) / 4u; // 4-output runs per row
    if (k >= p.n / wo * wb) {
        return;
    }
    let ox = k % wb * 4u;
    let orow = k / wb; // plane·ho + oy
    let oy = orow % ho;
    let plane = orow / ho;

    let sy = max((f32(oy) + 0.5) * p.scale - 0.5, 0.0);
    let y0 = u32(sy);
    let y1 = min(y0 + 1u, p.h - 1u);
    let ly = sy - f32(y0);
    let base = plane * p.h * p.w;
    let r0 = base + y0 * p.w;
    let r1 = base + y1 * p.w;
    let i = orow * wo + ox;
    lerp(i, ox, r0, r1, ly);
    lerp(i + 1u, ox + 1u, r0, r1, ly);
    lerp(i + 2u, ox + 2u, r0, r1, ly);
    lerp(i + 3u, ox + 3u, r0, r1, ly);
}
