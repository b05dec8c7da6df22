// runs_of_4: the entry point of an elementwise kernel over an NCHW tensor
// of p.n values whose value i needs its plane i / p.hw. One invocation
// handles a run of 4 values, dividing once to find the plane of the first
// and stepping from there. The including kernel defines Params with fields
// n and hw, binds it as p, and defines put(i: u32, plane: u32), which
// writes value i of the given plane and must ignore i ≥ p.n (the last run
// may stick out). Dispatch over grid1D(ceil(n/4)).

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = 4u * (gid.x + gid.y * nwg.x * 256u);
    if (i >= p.n) {
        return;
    }
    var plane = i / p.hw;
    var at = i - plane * p.hw; // position of value i + k in its plane
    put(i, plane);
    for (var k = 1u; k < 4u; k++) {
        at++;
        if (at == p.hw) {
            at = 0u;
            plane++;
        }
        put(i + k, plane);
    }
}
