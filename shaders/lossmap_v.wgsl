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
// The entry point is moments_v's: one invocation computes rows y0..y0+7 of
// one column. It keeps the moments of the 8 input rows under tap t of its
// 8 outputs in registers and slides them one row per tap, so each tap
// loads one weight and one new row's five moments: 6·(2r+1)/8 loads per
// output instead of 6·(2r+1) (on lavapipe each load costs several
// multiply-adds); on a GPU the invocations of a workgroup still read
// neighbouring columns.
// Grid: ceil(P·ceil(H/8)·W / 256) workgroups, folded as grid1D folds.

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
//#include moments
//#include moments_v
//#include gauss_tap
//#include ssim

// finish turns the blurred moments o of pixel i into this scale's factor
// and multiplies it into acc[i], if row y is inside the image.
fn finish(i: u32, y: u32, o: Mom) {
    if (y >= p.h) {
        return;
    }
    var v = ssim_cs(o.s, o.ab);
    if (p.lum == 1u) {
        v *= ssim_l(o.s);
    }
    if (p.first == 1u) {
        acc[i] = v;
    } else {
        acc[i] *= v;
    }
}
