// lossmap_out: map = α·(1 − MS-SSIM) + (1 − α)·L1, where MS-SSIM is the
// channel mean of the product acc (lossmap_v) and L1 the vertical half of
// G_8 over d (lossmap_l1h), edge-replicated.
// Layout: acc (N,3,H,W); d (N,1,H,W); taps as in lossmap_h; out (N,1,H,W).

struct Params {
    n: u32,         // N·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius of G_8
    tap_off: u32,   // first tap of G_8 in taps
    alpha: f32,     // α
};

@group(0) @binding(0) var<storage, read> acc: array<f32>;
@group(0) @binding(1) var<storage, read> d: array<f32>;
@group(0) @binding(2) var<storage, read> taps: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let hw = p.h * p.w;
    let x = i % p.w;
    let y = i32((i / p.w) % p.h);
    let n = i / hw;
    let r = i32(p.r);
    var l1 = 0.0;
    for (var t = -r; t <= r; t++) {
        let j = n * hw + u32(clamp(y + t, 0, i32(p.h) - 1)) * p.w + x;
        l1 += taps[p.tap_off + u32(t + r)] * d[j];
    }
    let k = 3u * n * hw + u32(y) * p.w + x;
    let ms = (acc[k] + acc[k + hw] + acc[k + 2u * hw]) / 3.0;
    out[i] = p.alpha * (1.0 - ms) + (1.0 - p.alpha) * l1;
}
