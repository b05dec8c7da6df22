// skff_accumulate: out (+)= a[i, n, c]·o, one pass per map i; the first
// pass (first = 1) overwrites out.
// Layout: o, out (N,C,H,W); a (m, N·C) softmax weights (skff_softmax);
// hw = H·W.

struct Params {
    n: u32,       // elements of o
    hw: u32,      // H·W
    offset: u32,  // i·N·C, the start of map i's weights in a
    first: u32,   // 1 for map 0
};

@group(0) @binding(0) var<storage, read> o: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = gid.x + gid.y * nwg.x * 256u;
    if (k >= p.n) {
        return;
    }
    let v = a[p.offset + k / p.hw] * o[k];
    if (p.first == 1u) {
        out[k] = v;
    } else {
        out[k] += v;
    }
}
