// lossmap_l1h: the horizontal half of G_σ (edge replication) applied to
// the channel mean of |a − b|, a = (x0+1)/2, b = (xhat+1)/2.
// Layout: x0, xhat (N,3,H,W); taps as in lossmap_h; d (N,1,H,W).

struct Params {
    n: u32,         // N·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius
    tap_off: u32,   // first tap in taps
};

@group(0) @binding(0) var<storage, read> x0: array<f32>;
@group(0) @binding(1) var<storage, read> xhat: array<f32>;
@group(0) @binding(2) var<storage, read> taps: array<f32>;
@group(0) @binding(3) var<storage, read_write> d: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let hw = p.h * p.w;
    let x = i32(i % p.w);
    let y = (i / p.w) % p.h;
    let n = i / hw;
    let row = 3u * n * hw + y * p.w;
    let r = i32(p.r);
    var s = 0.0;
    for (var t = -r; t <= r; t++) {
        let j = row + u32(clamp(x + t, 0, i32(p.w) - 1));
        // |a − b| = |x0 − xhat|/2 per channel; the mean over 3 channels.
        let l1 = (abs(x0[j] - xhat[j]) + abs(x0[j + hw] - xhat[j + hw]) + abs(x0[j + 2u * hw] - xhat[j + 2u * hw])) * (0.5 / 3.0);
        s += taps[p.tap_off + u32(t + r)] * l1;
    }
    d[i] = s;
}
