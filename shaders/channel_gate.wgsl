// channel_gate (residual attention): out = y + y·w[n, c].
// Layout: y, out (N,C,H,W); w (N,C,1,1); hw = H·W.
// One invocation per run of 4 values, which divides once to find its
// plane and steps from there.

struct Params {
    n: u32,    // elements of y
    hw: u32,   // H·W
};

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

//#include runs_of_4

// put writes out[i] of plane, if i is inside out.
fn put(i: u32, plane: u32) {
    if (i < p.n) {
        let v = y[i];
        out[i] = v + v * w[plane];
    }
}
