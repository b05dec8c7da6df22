// pixel_unshuffle ×2: y[n, c·4 + dy·2 + dx, oy, ox] = x[n, c, 2oy+dy, 2ox+dx]
// (PyTorch channel order).
// Layout: x (N,C,H,W), y (N,4C,H/2,W/2); one invocation per 2×2 block of
// x, which it writes to its four channels of y (a quarter of the index
// arithmetic of one invocation per value).

struct Params {
    n: u32,   // elements (same for x and y)
    c: u32,   // C, channels of x
    h: u32,   // H
    w: u32,   // W
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n / 4u) {
        return;
    }
    let wo = p.w / 2u;
    let ho = p.h / 2u;
    let ox = i % wo;
    let oy = (i / wo) % ho;
    let nc = i / (wo * ho); // n·C + c
    let src = (nc * p.h + 2u * oy) * p.w + 2u * ox;
    let plane = wo * ho;
    let dst = (nc * 4u * ho + oy) * wo + ox; // channel c·4 of image n
    y[dst] = x[src];
    y[dst + plane] = x[src + 1u];
    y[dst + 2u * plane] = x[src + p.w];
    y[dst + 3u * plane] = x[src + p.w + 1u];
}
