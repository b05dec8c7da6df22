// lossmap_h: the horizontal half of the separable Gaussian G_σ (edge
// replication) applied to the five SSIM moments of a' = a − ½ = x0/2 and
// b' = b − ½ = xhat/2: a', b', a'², b'², a'b'. Shifting a and b by ½
// leaves the (co)variances unchanged and halves the magnitudes whose
// difference gives them, so float32 loses less to cancellation.
// Layout: x0, xhat (N,3,H,W) seen as P = N·3 planes; taps: 2r+1 taps of
// G_σ from taps[tap_off]; m (5,P,H,W), moment k at m[k·n + plane·H·W + y·W + x].

struct Params {
    n: u32,         // P·H·W
    h: u32,         // H
    w: u32,         // W
    r: u32,         // tap radius
    tap_off: u32,   // first tap in taps
};

@group(0) @binding(0) var<storage, read> x0: array<f32>;
@group(0) @binding(1) var<storage, read> xhat: array<f32>;
@group(0) @binding(2) var<storage, read> taps: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let x = i32(i % p.w);
    let row = i - u32(x);
    let r = i32(p.r);
    var s = vec4<f32>(0.0);
    var sab = 0.0;
    for (var t = -r; t <= r; t++) {
        let j = row + u32(clamp(x + t, 0, i32(p.w) - 1));
        let g = taps[p.tap_off + u32(t + r)];
        let a = 0.5 * x0[j];
        let b = 0.5 * xhat[j];
        s += g * vec4<f32>(a, b, a * a, b * b);
        sab += g * a * b;
    }
    m[i] = s.x;
    m[p.n + i] = s.y;
    m[2u * p.n + i] = s.z;
    m[3u * p.n + i] = s.w;
    m[4u * p.n + i] = sab;
}
