// global_avg_pool_backward: the transpose of global_avg_pool, every value
// of a plane gets its mean's gradient over the plane size: dx = dy[plane]/hw.
// Layout: dy (N,C,1,1); dx (N,C,H,W), hw = H·W; one invocation per run of
// 4 values of dx, which divides once to find its plane and steps from there.

struct Params {
    n: u32,    // elements of dx
    hw: u32,   // H·W
};

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

//#include runs_of_4

// put writes plane's value at dx[i], if i is inside dx.
fn put(i: u32, plane: u32) {
    if (i < p.n) {
        dx[i] = dy[plane] / f32(p.hw);
    }
}
