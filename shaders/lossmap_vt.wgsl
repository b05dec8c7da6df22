// lossmap_vt: the transpose of the vertical half of G_σ with edge
// replication, applied to the three fields of lossmap_grad_v, as a gather:
// the forward out[y] = Σ_t g_t·in[clamp(y + t − r)] sends g_t·out[y] to
// row clamp(y + t − r), so row q collects g_t·out[q − t + r] where that
// row exists, and the edge rows also collect every tap that the clamp
// moved onto them: row 0 those with y + t − r < 0, row H − 1 those with
// y + t − r > H − 1.
// Layout: gf, gt (3,P,H,W), field k at [k·n + i]; taps as in lossmap_h.

struct Params {
    n: u32,         // P·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius
    tap_off: u32,   // first tap in taps
};

@group(0) @binding(0) var<storage, read> gf: array<f32>;
@group(0) @binding(1) var<storage, read> taps: array<f32>;
@group(0) @binding(2) var<storage, read_write> gt: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// field returns the three fields at row q of the column starting at col.
fn field(col: u32, q: i32) -> vec3<f32> {
    let j = col + u32(q) * p.w;
    return vec3<f32>(gf[j], gf[p.n + j], gf[2u * p.n + j]);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let x = i % p.w;
    let y = i32((i / p.w) % p.h);
    let col = i - u32(y) * p.w;
    let r = i32(p.r);
    let h = i32(p.h);
    var s = vec3<f32>(0.0);
    for (var t = 0; t <= 2 * r; t++) {
        let q = y - t + r;
        if (q >= 0 && q < h) {
            s += taps[p.tap_off + u32(t)] * field(col, q);
        }
    }
    if (y == 0) {
        for (var q = 0; q < min(r, h); q++) {
            var c = 0.0;
            for (var t = 0; t < r - q; t++) {
                c += taps[p.tap_off + u32(t)];
            }
            s += c * field(col, q);
        }
    }
    if (y == h - 1) {
        for (var q = max(0, h - r); q < h; q++) {
            var c = 0.0;
            for (var t = h - q + r; t <= 2 * r; t++) {
                c += taps[p.tap_off + u32(t)];
            }
            s += c * field(col, q);
        }
    }
    gt[i] = s.x;
    gt[p.n + i] = s.y;
    gt[2u * p.n + i] = s.z;
}
