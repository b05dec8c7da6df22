// channel_gate (residual attention): out = y + y·w[n, c].
// Layout: y, out (N,C,H,W); w (N,C,1,1); hw = H·W.
// One invocation per run of 4 values, which divides once to find its
// plane and steps from there.

struct Params {
    n: u32,    // elements of y
    hw: u32,   // H·W
};

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// put writes out[i] of plane, if i is inside out.
fn put(i: u32, plane: u32) {
    if (i < p.n) {
        let v = y[i];
        out[i] = v + v * w[plane];
    }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = 4u * (gid.x + gid.y * nwg.x * 256u);
    if (i >= p.n) {
        return;
    }
    var plane = i / p.hw;
    var at = i - plane * p.hw; // position of value i + k in its plane
    put(i, plane);
    for (var k = 1u; k < 4u; k++) {
        at++;
        if (at == p.hw) {
            at = 0u;
            plane++;
        }
        put(i + k, plane);
    }
}
