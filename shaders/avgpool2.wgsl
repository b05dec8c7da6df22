// avgpool2: 2×2 mean pooling, stride 2.
// Layout: x (N,C,H,W) with H, W even, y (N,C,H/2,W/2); one invocation per
// output value.

struct Params {
    n: u32,   // elements of y: N·C·(H/2)·(W/2)
    h: u32,   // H
    w: u32,   // W
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let wo = p.w / 2u;
    let ho = p.h / 2u;
    let ox = i % wo;
    let oy = (i / wo) % ho;
    let plane = i / (wo * ho);
    let j = plane * p.h * p.w + 2u * oy * p.w + 2u * ox;
    y[i] = 0.25 * (x[j] + x[j + 1u] + x[j + p.w] + x[j + p.w + 1u]);
}
