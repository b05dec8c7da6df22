// lossmap_ht: the transpose of the horizontal half of G_σ (as lossmap_vt
// does the vertical one) over the three fields T_μ, T_bb, T_ab, combined into
// the gradient with respect to xhat of the moments μb' = G∗b',
// Ebb = G∗b'², Eab = G∗a'b' (b' = xhat/2, a' = x0/2; the factor ½ of
// db'/dxhat is in lossmap_grad_v's u):
//   dx (+)= T_μ + 2b'·T_bb + a'·T_ab.
// The first pass (first = 1) overwrites dx and adds the L1 term's gradient,
// cl1·sign(xhat − x0)·colsum_W(x)·colsum_H(y), where colsum is the sum of
// the G_8 blur matrix's column (the transpose of G_8 applied to ones).
// Layout: gt (3,P,H,W) from lossmap_vt; x0, xhat, dx (N,3,H,W) = (P,H,W);
// taps as in lossmap_h.

struct Params {
    n: u32,         // P·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius of this scale
    tap_off: u32,   // its first tap in taps
    first: u32,     // 1 in the first pass
    r8: u32,        // tap radius of G_8
    off8: u32,      // first tap of G_8 in taps
    cl1: f32,       // scale·(1 − α)/6: the L1 term's gradient per |x0 − xhat|
};

@group(0) @binding(0) var<storage, read> gt: array<f32>;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read> xhat: array<f32>;
@group(0) @binding(3) var<storage, read> taps: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

// field returns the three fields at column q of the row starting at row.
fn field(row: u32, q: i32) -> vec3<f32> {
    let j = row + u32(q);
    return vec3<f32>(gt[j], gt[p.n + j], gt[2u * p.n + j]);
}

// colsum is Σ_y Σ_t g_t·[clamp(y + t − r) = q] over a line of n values, the
// taps g from off.
fn colsum(q: i32, n: i32, r: i32, off: u32) -> f32 {
    var s = 0.0;
    for (var t = 0; t <= 2 * r; t++) {
        let y = q - t + r;
        if (y >= 0 && y < n) {
            s += taps[off + u32(t)];
        }
    }
    if (q == 0) {
        for (var y = 0; y < min(r, n); y++) {
            for (var t = 0; t < r - y; t++) {
                s += taps[off + u32(t)];
            }
        }
    }
    if (q == n - 1) {
        for (var y = max(0, n - r); y < n; y++) {
            for (var t = n - y + r; t <= 2 * r; t++) {
                s += taps[off + u32(t)];
            }
        }
    }
    return s;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let x = i32(i % p.w);
    let row = i - u32(x);
    let r = i32(p.r);
    let w = i32(p.w);
    var s = vec3<f32>(0.0);
    for (var t = 0; t <= 2 * r; t++) {
        let q = x - t + r;
        if (q >= 0 && q < w) {
            s += taps[p.tap_off + u32(t)] * field(row, q);
        }
    }
    if (x == 0) {
        for (var q = 0; q < min(r, w); q++) {
            var c = 0.0;
            for (var t = 0; t < r - q; t++) {
                c += taps[p.tap_off + u32(t)];
            }
            s += c * field(row, q);
        }
    }
    if (x == w - 1) {
        for (var q = max(0, w - r); q < w; q++) {
            var c = 0.0;
            for (var t = w - q + r; t <= 2 * r; t++) {
                c += taps[p.tap_off + u32(t)];
            }
            s += c * field(row, q);
        }
    }
    var v = s.x + xhat[i] * s.y + 0.5 * x0[i] * s.z;
    if (p.first == 1u) {
        let y = i32((i / p.w) % p.h);
        let r8 = i32(p.r8);
        let c = colsum(x, w, r8, p.off8) * colsum(y, i32(p.h), r8, p.off8);
        dx[i] = v + p.cl1 * sign(xhat[i] - x0[i]) * c;
    } else {
        dx[i] += v;
    }
}
