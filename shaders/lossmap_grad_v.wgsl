// lossmap_grad_v: at scale j, the gradient of u·Σ MS-SSIM product with
// respect to the three blurred moments that depend on b' = b − ½ (see
// lossmap_h8): μb' = G∗b', Ebb = G∗b'², Eab = G∗a'b'. With the blurred
// moments that lossmap_cs stored, D = va + vb + C2 and cs = (2·cab + C2)/D,
//   W = u·l·Π_{k≠j} cs_k   (the product's gradient by cs_j)
//   g_Eab = 2W/D,  g_Ebb = −W·cs/D,  g_μb' = W·(2μb'·cs − 2μa')/D,
// and at the last scale (lum = 1) the luminance term's share
//   g_μb' += u·Π_k cs_k·(2μa − 2μb·l)/(μa² + μb² + C1).
// Layout: mv (5,P,H,W), the blurred moments from lossmap_cs; cs
// (scales+1,P,H,W) from lossmap_cs; gf (3,P,H,W): g_μb', g_Ebb, g_Eab at
// gf[k·n + i].

struct Params {
    n: u32,         // P·H·W
    j: u32,         // scale index
    lum: u32,       // 1 at the last scale
    scales: u32,    // number of scales; l is in slot scales of cs
    u: f32,         // the gradient of the loss by each pixel's product
};

@group(0) @binding(0) var<storage, read> mv: array<f32>;
@group(0) @binding(1) var<storage, read> cs: array<f32>;
@group(0) @binding(2) var<storage, read_write> gf: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

//#include ssim

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let s = vec4<f32>(mv[i], mv[p.n + i], mv[2u * p.n + i], mv[3u * p.n + i]);
    let sab = mv[4u * p.n + i];
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
