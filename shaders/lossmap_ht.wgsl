// lossmap_ht: the transpose of the horizontal half of G_σ (as lossmap_vt
// does the vertical one) over the three fields T_μ, T_bb, T_ab, combined into
// the gradient with respect to xhat of the moments μb' = G∗b',
// Ebb = G∗b'², Eab = G∗a'b' (b' = xhat/2, a' = x0/2; the factor ½ of
// db'/dxhat is in lossmap_grad_v's u):
//   dx (+)= T_μ + 2b'·T_bb + a'·T_ab.
// The first pass (first = 1) overwrites dx and adds the L1 term's gradient,
// cl1·sign(xhat − x0)·colsum_W(x)·colsum_H(y), where colsum is the sum of
// the G_8 blur matrix's column (the transpose of G_8 applied to ones).
// Layout: gt (3,P,H,W) from lossmap_vt; x0, xhat, dx (N,3,H,W) = (P,H,W);
// taps as in lossmap_h8; cols (W+H): colsum_W, then colsum_H (computed on
// the host).
//
// One invocation computes pixels x0..x0+7 of one row, sliding the input
// pixels through registers as lossmap_h8 does (with the taps reversed), so
// each tap loads one weight and one new pixel's three fields.
// Grid: ceil(P·H·ceil(W/8) / 256) workgroups, folded as grid1D folds.

struct Params {
    n: u32,         // P·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius of this scale
    tap_off: u32,   // its first tap in taps
    cum_off: u32,   // the taps' 2r+2 prefix sums in taps: Σ_{t<k} g_t at cum_off + k
    first: u32,     // 1 in the first pass
    cl1: f32,       // scale·(1 − α)/6: the L1 term's gradient per |x0 − xhat|
};

@group(0) @binding(0) var<storage, read> gt: array<f32>;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read> xhat: array<f32>;
@group(0) @binding(3) var<storage, read> taps: array<f32>;
@group(0) @binding(4) var<storage, read> cols: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

//#include window8
//#include window8_transpose

// win_load returns the three fields at column q of the row starting at row,
// or zeros where column q lies outside the image.
fn win_load(row: u32, q: i32) -> Win {
    let j = row + u32(clamp(q, 0, i32(p.w) - 1));
    let v = vec3<f32>(gt[j], gt[p.n + j], gt[2u * p.n + j]);
    return select(vec3<f32>(0.0), v, q >= 0 && q < i32(p.w));
}

// store combines the gathered fields o (plus the edge's share) of pixel
// x of the row at row into dx, if x is inside the image; cy is the row's
// column sum of G_8 (used in the first pass only).
fn store(row: u32, x: u32, o: vec3<f32>, cy: f32) {
    if (x >= p.w) {
        return;
    }
    let s = o + edge(row, i32(x), i32(p.w));
    let i = row + x;
    let v = s.x + xhat[i] * s.y + 0.5 * x0[i] * s.z;
    if (p.first == 1u) {
        let c = cols[x] * cy;
        dx[i] = v + p.cl1 * sign(xhat[i] - x0[i]) * c;
    } else {
        dx[i] += v;
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
    let row = i / wb * p.w;
    let r = i32(p.r);
    // Pixel xs+K collects g_{2r−u}·in[xs + K − r + u] for u = 0..2r; vK is
    // that input pixel at step u.
    let x = i32(xs) - r;
    let o = slide8(row, x, r);
    let cy = cols[p.w + row / p.w % p.h];
    store(row, xs, o[0], cy);
    store(row, xs + 1u, o[1], cy);
    store(row, xs + 2u, o[2], cy);
    store(row, xs + 3u, o[3], cy);
    store(row, xs + 4u, o[4], cy);
    store(row, xs + 5u, o[5], cy);
    store(row, xs + 6u, o[6], cy);
    store(row, xs + 7u, o[7], cy);
}
