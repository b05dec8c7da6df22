// conv_dw_sum: dw[i] = Σ_c part[c·m + i] over the chunks' partial weight
// gradients of conv_dw3x3 and conv_dw1x1, added to dw's contents where acc
// is 1 (the passes after the first).
// Layout: part (chunks, m); dw (m), m = Cout·Cin·k². One invocation per
// element of dw.

struct Params {
    m: u32,       // elements of dw
    chunks: u32,  // partials per element
    acc: u32,     // 1: add to dw; 0: overwrite it
};

@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.m) {
        return;
    }
    var s = 0.0;
    if (p.acc != 0u) {
        s = dw[i];
    }
    for (var c = 0u; c < p.chunks; c++) {
        s += part[c * p.m + i];
    }
    dw[i] = s;
}
