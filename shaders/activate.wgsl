// activate: y = act(x), elementwise.
// Layout: x, y are any tensor of n floats.

struct Params {
    n: u32,    // elements
    act: u32,  // ACT_LINEAR, ACT_RELU or ACT_SIGMOID (backend.Activation)
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

//#include activation

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    y[i] = activate(x[i], p.act);
}
