// lossmap_v: the vertical half of G_σ over the five moments of lossmap_h8,
// then the SSIM contrast-structure term of this scale,
//   cs = (2·cab + C2)/(va + vb + C2),  va = G∗a'² − μa'², vb = G∗b'² − μb'²,
//   cab = G∗(a'b') − μa'·μb'   (a' = a − ½, b' = b − ½; μa = μa' + ½),
// times, at the last scale (lum = 1), the luminance term
//   l = (2·μa·μb + C1)/(μa² + μb² + C1),
// multiplied into the running MS-SSIM product acc (first = 1 overwrites it).
// Layout: m (5,P,H,W) from lossmap_h8; acc (P,H,W), P = N·3 planes; taps as
// in lossmap_h8.
//
// One invocation computes rows y0..y0+7 of one column. It keeps the
// moments of the 8 input rows under tap t of its 8 outputs in registers and
// slides them one row per tap, so each tap loads one weight and one new
// row's five moments: 6·(2r+1)/8 loads per output instead of 6·(2r+1) (on
// lavapipe each load costs several multiply-adds); on a GPU the
// invocations of a workgroup still read neighbouring columns.
// Grid: ceil(P·ceil(H/8)·W / 256) workgroups, folded as grid1D folds.

const C1 = 0.0001;  // (0.01)², backend.SSIMC1
const C2 = 0.0009;  // (0.03)², backend.SSIMC2

struct Params {
    n: u32,         // P·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius
    tap_off: u32,   // first tap in taps
    first: u32,     // 1 at the first scale
    lum: u32,       // 1 at the last scale
};

@group(0) @binding(0) var<storage, read> m: array<f32>;
@group(0) @binding(1) var<storage, read> taps: array<f32>;
@group(0) @binding(2) var<storage, read_write> acc: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

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

// finish turns the blurred moments s of pixel i into this scale's factor
// and multiplies it into acc[i], if row y is inside the image.
fn finish(i: u32, y: u32, o: Mom) {
    if (y >= p.h) {
        return;
    }
    let s = o.s;
    let va = s.z - s.x * s.x;
    let vb = s.w - s.y * s.y;
    let cab = o.ab - s.x * s.y;
    var v = (2.0 * cab + C2) / (va + vb + C2);
    if (p.lum == 1u) {
        let mua = s.x + 0.5;
        let mub = s.y + 0.5;
        v *= (2.0 * mua * mub + C1) / (mua * mua + mub * mub + C1);
    }
    if (p.first == 1u) {
        acc[i] = v;
    } else {
        acc[i] *= v;
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
