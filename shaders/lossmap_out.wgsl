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

//#include window8
//#include gauss_tap

// load returns d at row y (clamped into the plane: edge replication) of
// column x of image n.
fn win_load(col: u32, y: i32) -> f32 {
    return d[col + u32(clamp(y, 0, i32(p.h) - 1)) * p.w];
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

alias Win = f32;

fn win_madd(o: Win, g: f32, v: Win) -> Win {
    return o + g * v;
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
    let o = slide8(n * p.h * p.w + x, y, r);
    store(n, x, y0, o[0]);
    store(n, x, y0 + 1u, o[1]);
    store(n, x, y0 + 2u, o[2]);
    store(n, x, y0 + 3u, o[3]);
    store(n, x, y0 + 4u, o[4]);
    store(n, x, y0 + 5u, o[5]);
    store(n, x, y0 + 6u, o[6]);
    store(n, x, y0 + 7u, o[7]);
}
