// slice_channels: channels [c0, c0 + cs) of x, y[n, c] = x[n, c0 + c].
// Layout: x (N,C,H,W), y (N,cs,H,W), hw = H·W; one invocation per value of y.

struct Params {
    n: u32,    // elements of y
    c: u32,    // channels of x
    c0: u32,   // first channel taken
    cs: u32,   // channels of y
    hw: u32,   // H·W
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let s = i % p.hw;
    let c = (i / p.hw) % p.cs;
    let img = i / (p.hw * p.cs);
    y[i] = x[(img * p.c + p.c0 + c) * p.hw + s];
}
