// skff_backward: the gradient of map i's attention logits through the
// softmax, dlogit[j] = s_i[j]·(ds_i[j] − Σ_k s_k[j]·ds_k[j]), where s are the
// softmax weights and ds_k[j] = Σ_hw dout·o_k the gradients of the weights.
// Layout: s, ds (m, N·C) stacked as in skff_softmax; dlogit (N,C,1,1).

struct Params {
    nc: u32,   // N·C
    m: u32,    // number of maps
    i: u32,    // the map whose logits' gradient is computed
};

@group(0) @binding(0) var<storage, read> s: array<f32>;
@group(0) @binding(1) var<storage, read> ds: array<f32>;
@group(0) @binding(2) var<storage, read_write> dlogit: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = gid.x + gid.y * nwg.x * 256u;
    if (j >= p.nc) {
        return;
    }
    var sd = 0.0;
    for (var k = 0u; k < p.m; k++) {
        sd += s[k * p.nc + j] * ds[k * p.nc + j];
    }
    let at = p.i * p.nc + j;
    dlogit[j] = s[at] * (ds[at] - sd);
}
