// pixel_shuffle ×2: y[n, c, 2iy+dy, 2ix+dx] = x[n, c·4 + dy·2 + dx, iy, ix]
// (PyTorch channel order, the inverse of pixel_unshuffle).
// Layout: x (N,4C,H,W), y (N,C,2H,2W); one invocation per output value.

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
    if (i >= p.n) {
        return;
    }
    let wy = 2u * p.w;
    let hy = 2u * p.h;
    let oxx = i % wy;
    let oyy = (i / wy) % hy;
    let c = (i / (wy * hy)) % p.c;
    let n = i / (wy * hy * p.c);
    let ic = c * 4u + (oyy % 2u) * 2u + oxx % 2u;
    y[i] = x[((n * 4u * p.c + ic) * p.h + oyy / 2u) * p.w + oxx / 2u];
}
