// plane_dot: the dot product of two tensors plane by plane,
// out[offset + plane] = Σ_j a[plane·hw + j]·b[plane·hw + j] (the gradients
// of per-channel weights: ChannelGate's w, SKFF's softmax weights).
// Layout: a, b (N,C,H,W) seen as planes = N·C rows of hw = H·W floats;
// out holds planes values from offset. One workgroup per plane: a strided
// sum per invocation, then workgroup_sum.

struct Params {
    planes: u32,   // N·C
    hw: u32,       // H·W
    offset: u32,   // where plane 0's result goes in out
};

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

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
        s += a[base + j] * b[base + j];
    }
    let total = workgroup_sum(lid, s);
    if (lid == 0u) {
        out[p.offset + plane] = total;
    }
}
