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

// field returns the three fields at row q of the column starting at col,
// or zeros where row q lies outside the image.
fn field(col: u32, q: i32) -> vec3<f32> {
    let j = col + u32(clamp(q, 0, i32(p.h) - 1)) * p.w;
    let v = vec3<f32>(gf[j], gf[p.n + j], gf[2u * p.n + j]);
    return select(vec3<f32>(0.0), v, q >= 0 && q < i32(p.h));
}

// edge returns what the clamp moved onto row y: nothing unless y is the
// first or the last row.
fn edge(col: u32, y: i32) -> vec3<f32> {
    let r = i32(p.r);
    let h = i32(p.h);
    var s = vec3<f32>(0.0);
    if (y == 0) {
        for (var q = 0; q < min(r, h); q++) {
            s += taps[p.cum_off + u32(r - q)] * field(col, q);
        }
    }
    if (y == h - 1) {
        let all = taps[p.cum_off + u32(2 * r + 1)];
        for (var q = max(0, h - r); q < h; q++) {
            s += (all - taps[p.cum_off + u32(h - q + r)]) * field(col, q);
        }
    }
    return s;
}

// store writes the gathered fields o (plus the edge's share) of row y, if
// it is inside the image.
fn store(col: u32, y: u32, o: vec3<f32>) {
    if (y >= p.h) {
        return;
    }
    let s = o + edge(col, i32(y));
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
    var v0 = field(col, y);
    var v1 = field(col, y + 1);
    var v2 = field(col, y + 2);
    var v3 = field(col, y + 3);
    var v4 = field(col, y + 4);
    var v5 = field(col, y + 5);
    var v6 = field(col, y + 6);
    var o0 = vec3<f32>(0.0);
    var o1 = vec3<f32>(0.0);
    var o2 = vec3<f32>(0.0);
    var o3 = vec3<f32>(0.0);
    var o4 = vec3<f32>(0.0);
    var o5 = vec3<f32>(0.0);
    var o6 = vec3<f32>(0.0);
    var o7 = vec3<f32>(0.0);
    for (var u = 0; u <= 2 * r; u++) {
        let v7 = field(col, y + u + 7);
        let g = taps[p.tap_off + u32(2 * r - u)];
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
    store(col, y0, o0);
    store(col, y0 + 1u, o1);
    store(col, y0 + 2u, o2);
    store(col, y0 + 3u, o3);
    store(col, y0 + 4u, o4);
    store(col, y0 + 5u, o5);
    store(col, y0 + 6u, o6);
    store(col, y0 + 7u, o7);
}
