// channel_gate_backward: the gradient of out = y + y·w[n, c] with respect
// to y, dy = dout·(1 + w[n, c]) (plane_dot gives the one of w).
// Layout: dout, dy (N,C,H,W); w (N,C,1,1); hw = H·W.
// One invocation per run of 4 values, which divides once to find its
// plane and steps from there.

struct Params {
    n: u32,    // elements of dy
    hw: u32,   // H·W
};

@group(0) @binding(0) var<storage, read> dout: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dy: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// put writes dy[i] of plane, if i is inside dy.
fn put(i: u32, plane: u32) {
    if (i < p.n) {
        dy[i] = dout[i] * (1.0 + w[plane]);
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
