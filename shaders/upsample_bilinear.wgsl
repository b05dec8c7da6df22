// upsample_bilinear by an integer factor f, PyTorch
// interpolate(mode="bilinear", align_corners=False): for each axis
// src = max((dst + 0.5)·scale − 0.5, 0) with scale = 1/f, i0 = floor(src),
// i1 = min(i0 + 1, size − 1), weights (1 − (src − i0), src − i0).
// Layout: x (N,C,H,W), y (N,C,f·H,f·W); one invocation per output value.

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

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let wo = p.w * p.f;
    let ho = p.h * p.f;
    let ox = i % wo;
    let oy = (i / wo) % ho;
    let plane = i / (wo * ho);

    let sy = max((f32(oy) + 0.5) * p.scale - 0.5, 0.0);
    let sx = max((f32(ox) + 0.5) * p.scale - 0.5, 0.0);
    let y0 = u32(sy);
    let x0 = u32(sx);
    let y1 = min(y0 + 1u, p.h - 1u);
    let x1 = min(x0 + 1u, p.w - 1u);
    let ly = sy - f32(y0);
    let lx = sx - f32(x0);

    let base = plane * p.h * p.w;
    let top = (1.0 - lx) * x[base + y0 * p.w + x0] + lx * x[base + y0 * p.w + x1];
    let bottom = (1.0 - lx) * x[base + y1 * p.w + x0] + lx * x[base + y1 * p.w + x1];
    y[i] = (1.0 - ly) * top + ly * bottom;
}
