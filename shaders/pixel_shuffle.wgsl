// pixel_shuffle ×2: y[n, c, 2iy+dy, 2ix+dx] = x[n, c·4 + dy·2 + dx, iy, ix]
// (PyTorch channel order, the inverse of pixel_unshuffle).
// Layout: x (N,4C,H,W), y (N,C,2H,2W); one invocation per value of the
// first of x's four channels of a c, which writes the 2×2 block of y (a
// quarter of the index arithmetic of one invocation per value).

struct Params {
    n: u32,   // elements (same for x and y)
    c: u32,   // C, channels of y
    h: u32,   // H, height of x
    w: u32,   // W, width of x
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
    let ix = i % p.w;
    let iy = (i / p.w) % p.h;
    let nc = i / (p.w * p.h); // n·C + c
    let plane = p.h * p.w;
    let src = (nc * 4u * p.h + iy) * p.w + ix; // channel c·4 of image n
    let wy = 2u * p.w;
    let dst = (nc * 2u * p.h + 2u * iy) * wy + 2u * ix;
    y[dst] = x[src];
    y[dst + 1u] = x[src + plane];
    y[dst + wy] = x[src + 2u * plane];
    y[dst + wy + 1u] = x[src + 3u * plane];
}
