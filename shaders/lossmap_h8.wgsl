// lossmap_h8: the horizontal half of the separable Gaussian G_σ (edge
// replication) applied to the five SSIM moments of a' = a − ½ = x0/2 and
// b' = b − ½ = xhat/2: a', b', a'², b'², a'b'. Shifting a and b by ½
// leaves the (co)variances unchanged and halves the magnitudes whose
// difference gives them, so float32 loses less to cancellation. The
// forward loss map and its backward pass both run it.
// Layout: x0, xhat (N,3,H,W) seen as P = N·3 planes; taps: 2r+1 taps of
// G_σ from taps[tap_off]; m (5,P,H,W), moment k at
// m[k·n + plane·H·W + y·W + x].
//
// One invocation computes pixels x0..x0+7 of one row. It keeps the moments
// of the 8 input pixels under tap t of its 8 outputs in registers and
// slides them one pixel per tap, so each tap loads one weight and one new
// pixel of x0 and xhat: 3·(2r+1)/8 loads per output instead of 3·(2r+1)
// (on lavapipe each load costs several multiply-adds).
// Grid: ceil(P·H·ceil(W/8) / 256) workgroups, folded as grid1D folds.

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

//#include window8
//#include moments
//#include gauss_tap

// load returns the moments of pixel x of the row at row, x clamped into
// the row (edge replication).
fn win_load(row: u32, x: i32) -> Win {
    let j = row + u32(clamp(x, 0, i32(p.w) - 1));
    let a = 0.5 * x0[j];
    let b = 0.5 * xhat[j];
    return Mom(vec4<f32>(a, b, a * a, b * b), a * b);
}

// store writes the blurred moments o of pixel i = row + x, if x is inside.
fn store(row: u32, x: u32, o: Mom) {
    if (x >= p.w) {
        return;
    }
    let i = row + x;
    m[i] = o.s.x;
    m[p.n + i] = o.s.y;
    m[2u * p.n + i] = o.s.z;
    m[3u * p.n + i] = o.s.w;
    m[4u * p.n + i] = o.ab;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    let wb = (p.w + 7u) / 8u; // 8-pixel runs per row
    if (i >= p.n / p.w * wb) {
        return;
    }
    let xs = i % wb * 8u;
    let row = i / wb * p.w;
    let r = i32(p.r);
    let x = i32(xs) - r; // the input pixel under tap 0 of output xs
    let o = slide8(row, x, r);
    store(row, xs, o[0]);
    store(row, xs + 1u, o[1]);
    store(row, xs + 2u, o[2]);
    store(row, xs + 3u, o[3]);
    store(row, xs + 4u, o[4]);
    store(row, xs + 5u, o[5]);
    store(row, xs + 6u, o[6]);
    store(row, xs + 7u, o[7]);
}
