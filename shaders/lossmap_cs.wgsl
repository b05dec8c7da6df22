// lossmap_cs: the vertical half of G_σ over the five moments of lossmap_h,
// then this scale's SSIM contrast-structure term cs_j (as lossmap_v computes
// it) into slot j of cs and, at the last scale (lum = 1), the luminance
// term l into slot scales: the factors of the MS-SSIM product, which
// lossmap_grad_v needs one at a time.
// Layout: m (5,P,H,W) from lossmap_h; taps as in lossmap_h; cs
// (scales+1,P,H,W), slot k at cs[k·n + i]; P = N·3 planes.

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
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let x = i % p.w;
    let y = i32((i / p.w) % p.h);
    let plane = i - x - u32(y) * p.w;
    let r = i32(p.r);
    var s = vec4<f32>(0.0);
    var sab = 0.0;
    for (var t = -r; t <= r; t++) {
        let j = plane + u32(clamp(y + t, 0, i32(p.h) - 1)) * p.w + x;
        let g = taps[p.tap_off + u32(t + r)];
        s += g * vec4<f32>(m[j], m[p.n + j], m[2u * p.n + j], m[3u * p.n + j]);
        sab += g * m[4u * p.n + j];
    }
    let va = s.z - s.x * s.x;
    let vb = s.w - s.y * s.y;
    let cab = sab - s.x * s.y;
    cs[p.j * p.n + i] = (2.0 * cab + C2) / (va + vb + C2);
    if (p.lum == 1u) {
        let mua = s.x + 0.5;
        let mub = s.y + 0.5;
        cs[p.scales * p.n + i] = (2.0 * mua * mub + C1) / (mua * mua + mub * mub + C1);
    }
}
