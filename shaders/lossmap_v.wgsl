// lossmap_v: the vertical half of G_σ over the five moments of lossmap_h,
// then the SSIM contrast-structure term of this scale,
//   cs = (2·cab + C2)/(va + vb + C2),  va = G∗a'² − μa'², vb = G∗b'² − μb'²,
//   cab = G∗(a'b') − μa'·μb'   (a' = a − ½, b' = b − ½; μa = μa' + ½),
// times, at the last scale (lum = 1), the luminance term
//   l = (2·μa·μb + C1)/(μa² + μb² + C1),
// multiplied into the running MS-SSIM product acc (first = 1 overwrites it).
// Layout: m (5,P,H,W) from lossmap_h; acc (P,H,W), P = N·3 planes; taps as
// in lossmap_h.

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
