// avgpool2_backward: the transpose of avgpool2, each value of a 2×2 cell
// gets a quarter of the cell's output gradient.
// Layout: dy (N,C,H/2,W/2); dx (N,C,H,W) with H, W even; one invocation per
// value of dx.

struct Params {
    n: u32,   // elements of dx: N·C·H·W
    h: u32,   // H
    w: u32,   // W
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
    let x = i % p.w;
    let y = (i / p.w) % p.h;
    let plane = i / (p.w * p.h);
    let wo = p.w / 2u;
    dx[i] = 0.25 * dy[(plane * (p.h / 2u) + y / 2u) * wo + x / 2u];
}
