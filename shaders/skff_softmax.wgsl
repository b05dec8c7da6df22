// skff_softmax: in place, per (n,c), a numerically stable softmax over the
// m stacked attention logits.
// Layout: a (m, N·C): a[i·nc + j] is logit i of channel j = n·C + c.

struct Params {
    nc: u32,   // N·C
    m: u32,    // number of maps
};

@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = gid.x + gid.y * nwg.x * 256u;
    if (j >= p.nc) {
        return;
    }
    var mx = a[j];
    for (var i = 1u; i < p.m; i++) {
        mx = max(mx, a[i * p.nc + j]);
    }
    var s = 0.0;
    for (var i = 0u; i < p.m; i++) {
        let e = exp(a[i * p.nc + j] - mx);
        a[i * p.nc + j] = e;
        s += e;
    }
    for (var i = 0u; i < p.m; i++) {
        a[i * p.nc + j] /= s;
    }
}
