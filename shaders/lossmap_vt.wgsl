// lossmap_vt: the transpose of the vertical half of G_σ with edge
// replication, applied to the three fields of lossmap_grad_v, as a gather:
// the forward out[y] = Σ_t g_t·in[clamp(y + t − r)] sends g_t·out[y] to
// row clamp(y + t − r), so row q collects g_t·out[q − t + r] where that
// row exists, and the edge rows also collect every tap that the clamp
// moved onto them: row 0 those with y + t − r < 0, row H − 1 those with
// y + t − r > H − 1.
// Layout: gf, gt (3,P,H,W), field k at [k·n + i]; taps as in lossmap_h8.
//
// One invocation computes rows y0..y0+7 of one column, sliding the input
// rows through registers as lossmap_v does (with the taps reversed), so
// each tap loads one weight and one new row's three fields.
// Grid: ceil(P·ceil(H/8)·W / 256) workgroups, folded as grid1D folds.

struct Params {
    n: u32,         // P·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius
    tap_off: u32,   // first tap in taps
    cum_off: u32,   // the taps' 2r+2 prefix sums in taps: Σ_{t<k} g_t at cum_off + k
};

@group(0) @binding(0) var<storage, read> gf: array<f32>;
@group(0) @binding(1) var<storage, read> taps: array<f32>;
@group(0) @binding(2) var<storage, read_write> gt: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

//#include window8
//#include window8_transpose

// win_load returns the three fields at row q of the column starting at col,
// or zeros where row q lies outside the image.
fn win_load(col: u32, q: i32) -> Win {
    let j = col + u32(clamp(q, 0, i32(p.h) - 1)) * p.w;
    let v = vec3<f32>(gf[j], gf[p.n + j], gf[2u * p.n + j]);
    return select(vec3<f32>(0.0), v, q >= 0 && q < i32(p.h));
}

// store writes the gathered fields o (plus the edge's share) of row y, if
// it is inside the image.
fn store(col: u32, y: u32, o: vec3<f32>) {
    if (y >= p.h) {
        return;
    }
    let s = o + edge(col, i32(y), i32(p.h));
    let i = col + y * p.w;
    gt[i] = s.x;
    gt[p.n + i] = s.y;
    gt[2u * p.n + i] = s.z;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    let hb = (p.h + 7u) / 8u; // 8-row blocks per column
    let planes = p.n / (p.h * p.w);
    if (i >= planes * hb * p.w) {
        return;
    }
    let x = i % p.w;
    let y0 = (i / p.w) % hb * 8u;
    let col = i / (p.w * hb) * p.h * p.w + x;
    let r = i32(p.r);
    // Row y0+K collects g_{2r−u}·in[y0 + K − r + u] for u = 0..2r; vK is
    // that input row at step u.
    let y = i32(y0) - r;
    let o = slide8(col, y, r);
    store(col, y0, o[0]);
    store(col, y0 + 1u, o[1]);
    store(col, y0 + 2u, o[2]);
    store(col, y0 + 3u, o[3]);
    store(col, y0 + 4u, o[4]);
    store(col, y0 + 5u, o[5]);
    store(col, y0 + 6u, o[6]);
    store(col, y0 + 7u, o[7]);
}
