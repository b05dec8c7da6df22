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

//#include window8
//#include gauss_tap

// win_load returns the channel mean of |a − b| = |x0 − xhat|/2 at pixel x
// (clamped into the row: edge replication) of the row whose first value in
// channel 0 is at line.
fn win_load(line: u32, x: i32) -> f32 {
    let hw = p.h * p.w;
    let j = line + u32(clamp(x, 0, i32(p.w) - 1));
    return (abs(x0[j] - xhat[j]) + abs(x0[j + hw] - xhat[j + hw]) + abs(x0[j + 2u * hw] - xhat[j + 2u * hw])) * (0.5 / 3.0);
}

// store writes s to pixel x of the row of d at row, if x is inside.
fn store(row: u32, x: u32, s: f32) {
    if (x < p.w) {
        d[row + x] = s;
    }
}

alias Win = f32;

fn win_madd(o: Win, g: f32, v: Win) -> Win {
    return o + g * v;
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
    let o = slide8(3u * n * p.h * p.w + y * p.w, x, r);
    let row = (n * p.h + y) * p.w;
    store(row, xs, o[0]);
    store(row, xs + 1u, o[1]);
    store(row, xs + 2u, o[2]);
    store(row, xs + 3u, o[3]);
    store(row, xs + 4u, o[4]);
    store(row, xs + 5u, o[5]);
    store(row, xs + 6u, o[6]);
    store(row, xs + 7u, o[7]);
}
