// skff_accumulate: out (+)= a[i, n, c]·o, one pass per map i; the first
// pass (first = 1) overwrites out.
// Layout: o, out (N,C,H,W); a (m, N·C) softmax weights (skff_softmax);
// hw = H·W.
// One invocation per run of 4 values, which divides once to find its
// plane and steps from there.

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

//#include runs_of_4

// put accumulates out[i] of plane, if i is inside out.
fn put(i: u32, plane: u32) {
    if (i >= p.n) {
        return;
    }
    let v = a[p.offset + plane] * o[i];
    if (p.first == 1u) {
        out[i] = v;
    } else {
        out[i] += v;
    }
}
