// lossmap_grad_v: at scale j, the gradient of u·Σ MS-SSIM product with
// respect to the three blurred moments that depend on b' = b − ½ (see
// lossmap_h): μb' = G∗b', Ebb = G∗b'², Eab = G∗a'b'. With the moments'
// vertical half of G_σ done here as in lossmap_v, D = va + vb + C2 and
// cs = (2·cab + C2)/D,
//   W = u·l·Π_{k≠j} cs_k   (the product's gradient by cs_j)
//   g_Eab = 2W/D,  g_Ebb = −W·cs/D,  g_μb' = W·(2μb'·cs − 2μa')/D,
// and at the last scale (lum = 1) the luminance term's share
//   g_μb' += u·Π_k cs_k·(2μa − 2μb·l)/(μa² + μb² + C1).
// Layout: m (5,P,H,W) from lossmap_h; taps as in lossmap_h; cs
// (scales+1,P,H,W) from lossmap_cs; gf (3,P,H,W): g_μb', g_Ebb, g_Eab at
// gf[k·n + i].

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
    scales: u32,    // number of scales; l is in slot scales of cs
    u: f32,         // the gradient of the loss by each pixel's product
};

@group(0) @binding(0) var<storage, read> m: array<f32>;
@group(0) @binding(1) var<storage, read> taps: array<f32>;
@group(0) @binding(2) var<storage, read> cs: array<f32>;
@group(0) @binding(3) var<storage, read_write> gf: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

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
    let d = va + vb + C2;
    let c = (2.0 * cab + C2) / d;

    var q = 1.0;  // Π_{k≠j} cs_k
    for (var k = 0u; k < p.scales; k++) {
        if (k != p.j) {
            q *= cs[k * p.n + i];
        }
    }
    let l = cs[p.scales * p.n + i];
    let wt = p.u * q * l;
    var gmu = wt * (2.0 * s.y * c - 2.0 * s.x) / d;
    if (p.lum == 1u) {
        let mua = s.x + 0.5;
        let mub = s.y + 0.5;
        let ld = mua * mua + mub * mub + C1;
        let ll = (2.0 * mua * mub + C1) / ld;
        gmu += p.u * q * c * (2.0 * mua - 2.0 * mub * ll) / ld;
    }
    gf[i] = gmu;
    gf[p.n + i] = -wt * c / d;
    gf[2u * p.n + i] = 2.0 * wt / d;
}
