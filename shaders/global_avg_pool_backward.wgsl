// global_avg_pool_backward: the transpose of global_avg_pool, every value
// of a plane gets its mean's gradient over the plane size: dx = dy[plane]/hw.
// Layout: dy (N,C,1,1); dx (N,C,H,W), hw = H·W; one invocation per value of dx.

struct Params {
    n: u32,    // elements of dx
    hw: u32,   // H·W
};

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    dx[i] = dy[i / p.hw] / f32(p.hw);
}
