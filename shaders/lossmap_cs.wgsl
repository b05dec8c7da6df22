// lossmap_cs: the vertical half of G_σ over the five moments of lossmap_h8,
// then this scale's SSIM contrast-structure term cs_j (as lossmap_v computes
// it) into slot j of cs and, at the last scale (lum = 1), the luminance
// term l into slot scales: the factors of the MS-SSIM product, which
// lossmap_grad_v needs one at a time. It also stores the five blurred
// moments into mv, so that lossmap_grad_v need not blur them again.
// Layout: m (5,P,H,W) from lossmap_h8; taps as in lossmap_h8; cs
// (scales+1,P,H,W), slot k at cs[k·n + i]; P = N·3 planes; mv (5,P,H,W),
// blurred moment k at mv[k·n + i].
//
// One invocation computes rows y0..y0+7 of one column, sliding the input
// rows through registers as lossmap_v does.
// Grid: ceil(P·ceil(H/8)·W / 256) workgroups, folded as grid1D folds.

const C1 = 0.0001;  // (0.01)², backend.SSIMC1
const C2 = 0.0009;  // (0.03)², backend.SSIMC2

struct Params {
    n: u32,         // P·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius
    tap_off: u32,   // first tap in taps
    j: u32,         // scale index
    lum: u32,       // 1 at the last scale
    scales: u32,    // number of scales; l goes in slot scales
};

@group(0) @binding(0) var<storage, read> m: array<f32>;
@group(0) @binding(1) var<storage, read> taps: array<f32>;
@group(0) @binding(2) var<storage, read_write> cs: array<f32>;
@group(0) @binding(3) var<storage, read_write> mv: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

//#include window8

// Mom holds the five blurred moments: (a', b', a'², b'²) and a'b'.
struct Mom {
    s: vec4<f32>,
    ab: f32,
};

alias Win = Mom;

// load returns the five moments of row y (clamped into the plane: edge
// replication) of column x of the plane at plane.
fn win_load(col: u32, y: i32) -> Win {
    let j = col + u32(clamp(y, 0, i32(p.h) - 1)) * p.w;
    return Mom(vec4<f32>(m[j], m[p.n + j], m[2u * p.n + j], m[3u * p.n + j]), m[4u * p.n + j]);
}

fn win_madd(o: Win, g: f32, v: Win) -> Win {
    return Mom(o.s + g * v.s, o.ab + g * v.ab);
}

// finish stores the blurred moments o of pixel i and this scale's factors,
// if row y is inside the image.
fn finish(i: u32, y: u32, o: Mom) {
    if (y >= p.h) {
        return;
    }
    let s = o.s;
    mv[i] = s.x;
    mv[p.n + i] = s.y;
    mv[2u * p.n + i] = s.z;
    mv[3u * p.n + i] = s.w;
    mv[4u * p.n + i] = o.ab;
    let va = s.z - s.x * s.x;
    let vb = s.w - s.y * s.y;
    let cab = o.ab - s.x * s.y;
    cs[p.j * p.n + i] = (2.0 * cab + C2) / (va + vb + C2);
    if (p.lum == 1u) {
        let mua = s.x + 0.5;
        let mub = s.y + 0.5;
        cs[p.scales * p.n + i] = (2.0 * mua * mub + C1) / (mua * mua + mub * mub + C1);
    }
}

// win_tap is the weight of step u: tap u of G_σ.
fn win_tap(u: i32, r: i32) -> f32 {
    return taps[p.tap_off + u32(u)];
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
    let plane = i / (p.w * hb) * p.h * p.w;
    let r = i32(p.r);
    let y = i32(y0) - r; // the input row under tap 0 of output y0
    let o = slide8(plane + x, y, r);
    let i0 = plane + y0 * p.w + x;
    finish(i0, y0, o[0]);
    finish(i0 + p.w, y0 + 1u, o[1]);
    finish(i0 + 2u * p.w, y0 + 2u, o[2]);
    finish(i0 + 3u * p.w, y0 + 3u, o[3]);
    finish(i0 + 4u * p.w, y0 + 4u, o[4]);
    finish(i0 + 5u * p.w, y0 + 5u, o[5]);
    finish(i0 + 6u * p.w, y0 + 6u, o[6]);
    finish(i0 + 7u * p.w, y0 + 7u, o[7]);
}
