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
// The entry point is moments_v's: one invocation computes rows y0..y0+7
// of one column, sliding the input rows through registers.
// Grid: ceil(P·ceil(H/8)·W / 256) workgroups, folded as grid1D folds.

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
//#include moments
//#include moments_v
//#include gauss_tap
//#include ssim

// finish stores the blurred moments o of pixel i and this scale's factors,
// if row y is inside the image.
fn finish(i: u32, y: u32, o: Mom) {
    if (y >= p.h) {
        return;
    }
    mv[i] = o.s.x;
    mv[p.n + i] = o.s.y;
    mv[2u * p.n + i] = o.s.z;
    mv[3u * p.n + i] = o.s.w;
    mv[4u * p.n + i] = o.ab;
    cs[p.j * p.n + i] = ssim_cs(o.s, o.ab);
    if (p.lum == 1u) {
        cs[p.scales * p.n + i] = ssim_l(o.s);
    }
}
