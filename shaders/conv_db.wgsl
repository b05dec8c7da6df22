// conv_db: the bias gradient of a convolution, db[co] = Σ_{n,y,x} g[n,co,y,x].
// Layout: g (N,Cout,H,W), hw = H·W; db (1,Cout,1,1). One workgroup per
// output channel: a strided sum per invocation, then workgroup_sum.

struct Params {
    cout: u32,   // output channels
    n: u32,      // images
    hw: u32,     // H·W
};

@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> db: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

//#include workgroup_sum

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    // co is uniform across the workgroup, so the early return keeps the
    // barriers below in uniform control flow.
    let co = wid.x + wid.y * nwg.x;
    if (co >= p.cout) {
        return;
    }
    var s = 0.0;
    for (var img = 0u; img < p.n; img++) {
        let base = (img * p.cout + co) * p.hw;
        for (var j = lid; j < p.hw; j += 256u) {
            s += g[base + j];
        }
    }
    let total = workgroup_sum(lid, s);
    if (lid == 0u) {
        db[co] = total;
    }
}
