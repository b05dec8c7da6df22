// global_avg_pool: y[plane] = mean of x over the plane's hw values.
// Layout: x (N,C,H,W) seen as planes = N·C rows of hw = H·W floats;
// y (N,C,1,1). One workgroup per plane: a strided sum per invocation, then
// workgroup_sum.

struct Params {
    planes: u32,  // N·C
    hw: u32,      // H·W
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

//#include workgroup_sum

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    // plane is uniform across the workgroup, so the early return keeps the
    // barriers below in uniform control flow.
    let plane = wid.x + wid.y * nwg.x;
    if (plane >= p.planes) {
        return;
    }
    let base = plane * p.hw;
    var s = 0.0;
    for (var j = lid; j < p.hw; j += 256u) {
        s += x[base + j];
    }
    let total = workgroup_sum(lid, s);
    if (lid == 0u) {
        y[plane] = total / f32(p.hw);
    }
}
