// lossmap_out: map = α·(1 − MS-SSIM) + (1 − α)·L1, where MS-SSIM is the
// channel mean of the product acc (lossmap_v) and L1 the vertical half of
// G_8 over d (lossmap_l1h), edge-replicated.
// Layout: acc (N,3,H,W); d (N,1,H,W); taps as in lossmap_h8; out (N,1,H,W).
//
// One invocation computes rows y0..y0+7 of one column, sliding a window of
// 8 input rows one row per tap as lossmap_v does: each tap loads one
// weight and one new value of d.
// Grid: ceil(N·ceil(H/8)·W / 256) workgroups, folded as grid1D folds.

struct Params {
    n: u32,         // N·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius of G_8
    tap_off: u32,   // first tap of G_8 in taps
    alpha: f32,     // α
};

@group(0) @binding(0) var<storage, read> acc: array<f32>;
@group(0) @binding(1) var<storage, read> d: array<f32>;
@group(0) @binding(2) var<storage, read> taps: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// load returns d at row y (clamped into the plane: edge replication) of
// column x of image n.
fn load(n: u32, x: u32, y: i32) -> f32 {
    return d[(n * p.h + u32(clamp(y, 0, i32(p.h) - 1))) * p.w + x];
}

// store combines the blurred L1 value l1 with the MS-SSIM of pixel
// (y, x) of image n into out, if row y is inside.
fn store(n: u32, x: u32, y: u32, l1: f32) {
    if (y >= p.h) {
        return;
    }
    let hw = p.h * p.w;
    let k = 3u * n * hw + y * p.w + x;
    let ms = (acc[k] + acc[k + hw] + acc[k + 2u * hw]) / 3.0;
    out[n * hw + y * p.w + x] = p.alpha * (1.0 - ms) + (1.0 - p.alpha) * l1;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    let hb = (p.h + 7u) / 8u; // 8-row blocks per column
    if (i >= p.n / p.h * hb) {
        return;
    }
    let x = i % p.w;
    let y0 = i / p.w % hb * 8u;
    let n = i / p.w / hb;
    let r = i32(p.r);
    let y = i32(y0) - r; // the input row under tap 0 of output y0
    // vK: the input row under tap t of output y0+K.
    var v0 = load(n, x, y);
    var v1 = load(n, x, y + 1);
    var v2 = load(n, x, y + 2);
    var v3 = load(n, x, y + 3);
    var v4 = load(n, x, y + 4);
    var v5 = load(n, x, y + 5);
    var v6 = load(n, x, y + 6);
    var o0 = 0.0;
    var o1 = 0.0;
    var o2 = 0.0;
    var o3 = 0.0;
    var o4 = 0.0;
    var o5 = 0.0;
    var o6 = 0.0;
    var o7 = 0.0;
    for (var t = 0; t <= 2 * r; t++) {
        let v7 = load(n, x, y + t + 7);
        let g = taps[p.tap_off + u32(t)];
        o0 += g * v0;
        o1 += g * v1;
        o2 += g * v2;
        o3 += g * v3;
        o4 += g * v4;
        o5 += g * v5;
        o6 += g * v6;
        o7 += g * v7;
        v0 = v1;
        v1 = v2;
        v2 = v3;
        v3 = v4;
        v4 = v5;
        v5 = v6;
        v6 = v7;
    }
    store(n, x, y0, o0);
    store(n, x, y0 + 1u, o1);
    store(n, x, y0 + 2u, o2);
    store(n, x, y0 + 3u, o3);
    store(n, x, y0 + 4u, o4);
    store(n, x, y0 + 5u, o5);
    store(n, x, y0 + 6u, o6);
    store(n, x, y0 + 7u, o7);
}
