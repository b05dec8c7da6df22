// lossmap_prod: each pixel's MS-SSIM product from the factors lossmap_cs
// stored, multiplied in lossmap_v's order,
//   acc = cs_0 · cs_1 · … · cs_{S−2} · (cs_{S−1} · l),
// so that LossMapAndBackward's map is LossMap's.
// Layout: cs (S+1,P,H,W), factor k at cs[k·n + i], the luminance l in slot
// S; acc (P,H,W); P = N·3 planes, S = scales.

struct Params {
    n: u32,       // P·H·W
    scales: u32,  // S, at least 1
};

@group(0) @binding(0) var<storage, read> cs: array<f32>;
@group(0) @binding(1) var<storage, read_write> acc: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let last = p.scales - 1u;
    let v = cs[last * p.n + i] * cs[p.scales * p.n + i];
    if (last == 0u) {
        acc[i] = v;
        return;
    }
    var a = cs[i];
    for (var k = 1u; k < last; k++) {
        a *= cs[k * p.n + i];
    }
    acc[i] = a * v;
}
