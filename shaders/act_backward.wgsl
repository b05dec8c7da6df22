// act_backward: the gradient through a fused activation, taken from the
// activation's output y: g = dy·act'(y), act' = 1 (linear), y > 0 (ReLU),
// y·(1 − y) (sigmoid).
// Layout: dy, y, g of one shape; one invocation per element.

struct Params {
    n: u32,     // elements
    act: u32,   // ACT_LINEAR, ACT_RELU or ACT_SIGMOID (backend.Activation)
};

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

//#include activation

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    g[i] = activate_backward(dy[i], y[i], p.act);
}
