// lossmap_l1h: the horizontal half of G_σ (edge replication) applied to
// the channel mean of |a − b|, a = (x0+1)/2, b = (xhat+1)/2.
// Layout: x0, xhat (N,3,H,W); taps as in lossmap_h8; d (N,1,H,W).
//
// One invocation computes pixels x0..x0+7 of one row, sliding a window of
// 8 input pixels one pixel per tap as lossmap_h8 does: each tap loads one
// weight and one new pixel's 6 values, 7·(2r+1)/8 loads per output.
// Grid: ceil(N·H·ceil(W/8) / 256) workgroups, folded as grid1D folds.

struct Params {
    n: u32,         // N·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius
    tap_off: u32,   // first tap in taps
};

@group(0) @binding(0) var<storage, read> x0: array<f32>;
@group(0) @binding(1) var<storage, read> xhat: array<f32>;
@group(0) @binding(2) var<storage, read> taps: array<f32>;
@group(0) @binding(3) var<storage, read_write> d: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// l1 returns the channel mean of |a − b| = |x0 − xhat|/2 at pixel x
// (clamped into the row: edge replication) of row y of image n.
fn l1(n: u32, y: u32, x: i32) -> f32 {
    let hw = p.h * p.w;
    let j = 3u * n * hw + y * p.w + u32(clamp(x, 0, i32(p.w) - 1));
    return (abs(x0[j] - xhat[j]) + abs(x0[j + hw] - xhat[j + hw]) + abs(x0[j + 2u * hw] - xhat[j + 2u * hw])) * (0.5 / 3.0);
}

// store writes s to pixel x of the row of d at row, if x is inside.
fn store(row: u32, x: u32, s: f32) {
    if (x < p.w) {
        d[row + x] = s;
    }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    let wb = (p.w + 7u) / 8u; // 8-pixel runs per row
    if (i >= p.n / p.w * wb) {
        return;
    }
    let xs = i % wb * 8u;
    let y = i / wb % p.h;
    let n = i / wb / p.h;
    let r = i32(p.r);
    let x = i32(xs) - r; // the input pixel under tap 0 of output xs
    // vK: the input pixel under tap t of output xs+K.
    var v0 = l1(n, y, x);
    var v1 = l1(n, y, x + 1);
    var v2 = l1(n, y, x + 2);
    var v3 = l1(n, y, x + 3);
    var v4 = l1(n, y, x + 4);
    var v5 = l1(n, y, x + 5);
    var v6 = l1(n, y, x + 6);
    var o0 = 0.0;
    var o1 = 0.0;
    var o2 = 0.0;
    var o3 = 0.0;
    var o4 = 0.0;
    var o5 = 0.0;
    var o6 = 0.0;
    var o7 = 0.0;
    for (var t = 0; t <= 2 * r; t++) {
        let v7 = l1(n, y, x + t + 7);
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
    let row = (n * p.h + y) * p.w;
    store(row, xs, o0);
    store(row, xs + 1u, o1);
    store(row, xs + 2u, o2);
    store(row, xs + 3u, o3);
    store(row, xs + 4u, o4);
    store(row, xs + 5u, o5);
    store(row, xs + 6u, o6);
    store(row, xs + 7u, o7);
}
