// channel_gate_backward: the gradient of out = y + y·w[n, c] with respect
// to y, dy = dout·(1 + w[n, c]) (plane_dot gives the one of w).
// Layout: dout, dy (N,C,H,W); w (N,C,1,1); hw = H·W.
// One invocation per run of 4 values, which divides once to find its
// plane and steps from there.

struct Params {
    n: u32,    // elements of dy
    hw: u32,   // H·W
};

@group(0) @binding(0) var<storage, read> dout: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dy: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

//#include runs_of_4

// put writes dy[i] of plane, if i is inside dy.
fn put(i: u32, plane: u32) {
    if (i < p.n) {
        dy[i] = dout[i] * (1.0 + w[plane]);
    }
}
