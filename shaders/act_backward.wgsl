// act_backward: the gradient through a fused activation, taken from the
// activation's output y: g = dy·act'(y), act' = 1 (linear), y > 0 (ReLU),
// y·(1 − y) (sigmoid).
// Layout: dy, y, g of one shape; one invocation per element.

struct Params {
    n: u32,     // elements
    act: u32,   // 0 linear, 1 ReLU, 2 sigmoid
};

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let v = y[i];
    var d = dy[i];
    if (p.act == 1u) {
        d = select(0.0, d, v > 0.0);
    } else if (p.act == 2u) {
        d *= v * (1.0 - v);
    }
    g[i] = d;
}
