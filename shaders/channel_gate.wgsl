// channel_gate (residual attention): out = y + y·w[n, c].
// Layout: y, out (N,C,H,W); w (N,C,1,1); hw = H·W.

struct Params {
    n: u32,    // elements of y
    hw: u32,   // H·W
};

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let v = y[i];
    out[i] = v + v * w[i / p.hw];
}
