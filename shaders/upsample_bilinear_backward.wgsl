// upsample_bilinear_backward: the transpose of upsample_bilinear (factor f,
// align_corners=False) as a gather: each input value sums w_y·w_x·dy over
// the output pixels whose interpolation reads it, where along each axis an
// output o reads i0 = floor(src) with weight 1 − (src − i0) and
// i1 = min(i0 + 1, size − 1) with weight src − i0, src = max((o + 0.5)·scale
// − 0.5, 0), computed exactly as the forward kernel does. Those outputs lie
// in [f·(i − 1), f·(i + 2)) along the axis.
// Layout: dy (N,C,f·H,f·W); dx (N,C,H,W); one invocation per value of dx.

struct Params {
    n: u32,       // elements of dx
    h: u32,       // H
    w: u32,       // W
    f: u32,       // factor
    scale: f32,   // 1/f, rounded to f32 as in the forward kernel
};

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

// tap_weight is the interpolation weight with which output o reads input i
// along an axis of size input values.
fn tap_weight(o: u32, i: u32, size: u32) -> f32 {
    let s = max((f32(o) + 0.5) * p.scale - 0.5, 0.0);
    let i0 = u32(s);
    let i1 = min(i0 + 1u, size - 1u);
    let l = s - f32(i0);
    var v = 0.0;
    if (i0 == i) {
        v += 1.0 - l;
    }
    if (i1 == i) {
        v += l;
    }
    return v;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let ix = i % p.w;
    let iy = (i / p.w) % p.h;
    let plane = i / (p.w * p.h);
    let wo = p.w * p.f;
    let ho = p.h * p.f;
    let base = plane * ho * wo;
    let x0 = p.f * max(ix, 1u) - p.f;
    let x1 = min(wo, p.f * (ix + 2u));
    var s = 0.0;
    for (var oy = p.f * max(iy, 1u) - p.f; oy < min(ho, p.f * (iy + 2u)); oy++) {
        let wy = tap_weight(oy, iy, p.h);
        if (wy == 0.0) {
            continue;
        }
        var row = 0.0;
        for (var ox = x0; ox < x1; ox++) {
            row += tap_weight(ox, ix, p.w) * dy[base + oy * wo + ox];
        }
        s += wy * row;
    }
    dx[i] = s;
}
