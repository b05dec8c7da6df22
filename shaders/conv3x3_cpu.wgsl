// conv3x3_cpu: out = act(conv(x, w) + bias), 3×3 kernel, stride 1, zero
// padding 1; the variant of conv3x3 for CPU adapters (Mesa lavapipe).
// Layout: x (N,Cin,H,W); w (Cout,Cin,3,3) as given (no repack); bias (Cout)
// (unread when has_bias is 0); out (N,Cout,H,W).
//
// Lavapipe (Mesa 22.3) turns each storage load inside control flow into a
// branchy loop over the SIMD lanes, uniform address or not, costing
// several vector multiply-adds (replacing conv3x3's loads by arithmetic
// made it 5 times faster), so what counts is multiply-adds per loaded
// scalar. One invocation computes 8
// output channels × 8 pixels × 4 rows: per input channel it loads its 72
// weights once and 6 input rows of 10 pixels, for 2304 multiply-adds (17.5
// per load; conv3x3's 8 × 8 × 1 tile reaches 5.6). The 256 accumulators
// spill to the stack; tiles of 2 and 8 rows measured slower on lavapipe
// (about 2 and 1.4 times the time). On a GPU this tile would not fit in
// registers: GPUs run conv3x3.
// Grid: (ceil(ceil(W/8)·ceil(H/4) / 64), ceil(Cout/8), N).

struct Params {
    cin: u32,       // input channels
    cout: u32,      // output channels
    h: u32,         // height
    w: u32,         // width
    act: u32,       // ACT_LINEAR, ACT_RELU or ACT_SIGMOID (backend.Activation)
    has_bias: u32,  // 1 if bias is read
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

//#include activation
//#include conv_bias

// Acc holds 4 output channels at 8 consecutive pixels.
struct Acc {
    p0: vec4<f32>, p1: vec4<f32>, p2: vec4<f32>, p3: vec4<f32>,
    p4: vec4<f32>, p5: vec4<f32>, p6: vec4<f32>, p7: vec4<f32>,
};

// Taps holds one kernel row (kx = 0, 1, 2) of 4 output channels.
struct Taps {
    k0: vec4<f32>, k1: vec4<f32>, k2: vec4<f32>,
};

// weights loads kernel row ky of input channel ci for output channels
// co..co+3; channels past cout repeat the last one (never stored).
fn weights(co: u32, ci: u32, ky: u32) -> Taps {
    let last = p.cout - 1u;
    let s = p.cin * 9u; // stride between output channels
    let t = ci * 9u + ky * 3u;
    let i0 = min(co, last) * s + t;
    let i1 = min(co + 1u, last) * s + t;
    let i2 = min(co + 2u, last) * s + t;
    let i3 = min(co + 3u, last) * s + t;
    return Taps(
        vec4<f32>(w[i0], w[i1], w[i2], w[i3]),
        vec4<f32>(w[i0 + 1u], w[i1 + 1u], w[i2 + 1u], w[i3 + 1u]),
        vec4<f32>(w[i0 + 2u], w[i1 + 2u], w[i2 + 2u], w[i3 + 2u]));
}

// row loads input pixels ox0−1 .. ox0+8 of row iy of the plane at base,
// zero outside the image.
fn row(base: u32, iy: i32, ox0: i32) -> array<f32, 10> {
    var r: array<f32, 10>;
    if (iy < 0 || iy >= i32(p.h)) {
        return r;
    }
    let rb = base + u32(iy) * p.w;
    let wmax = i32(p.w) - 1;
    for (var j = 0; j < 10; j++) {
        let ix = ox0 - 1 + j;
        r[j] = select(0.0, x[rb + u32(clamp(ix, 0, wmax))], ix >= 0 && ix <= wmax);
    }
    return r;
}

// taps adds one kernel row: pixel j gets r[j]·k0 + r[j+1]·k1 + r[j+2]·k2.
fn taps(a: Acc, r: array<f32, 10>, k: Taps) -> Acc {
    return Acc(
        a.p0 + r[0] * k.k0 + r[1] * k.k1 + r[2] * k.k2,
        a.p1 + r[1] * k.k0 + r[2] * k.k1 + r[3] * k.k2,
        a.p2 + r[2] * k.k0 + r[3] * k.k1 + r[4] * k.k2,
        a.p3 + r[3] * k.k0 + r[4] * k.k1 + r[5] * k.k2,
        a.p4 + r[4] * k.k0 + r[5] * k.k1 + r[6] * k.k2,
        a.p5 + r[5] * k.k0 + r[6] * k.k1 + r[7] * k.k2,
        a.p6 + r[6] * k.k0 + r[7] * k.k1 + r[8] * k.k2,
        a.p7 + r[7] * k.k0 + r[8] * k.k1 + r[9] * k.k2);
}

// store writes act(v + b) to channels co..co+3 (those below cout) of pixel
// (oy, ox) of image n.
fn store(n: u32, co: u32, oy: u32, ox: u32, v: vec4<f32>, b: vec4<f32>) {
    if (ox >= p.w) {
        return;
    }
    let y = activate4(v + b, p.act);
    let plane = p.h * p.w;
    let i = ((n * p.cout + co) * p.h + oy) * p.w + ox;
    for (var c = 0u; c < 4u; c++) {
        if (co + c < p.cout) {
            out[i + c * plane] = y[c];
        }
    }
}

// store8 writes the 8 pixels of a, plus b, from (oy, ox0) on, if row oy is
// inside.
fn store8(n: u32, co: u32, oy: u32, ox0: u32, a: Acc, b: vec4<f32>) {
    if (oy >= p.h) {
        return;
    }
    store(n, co, oy, ox0, a.p0, b);
    store(n, co, oy, ox0 + 1u, a.p1, b);
    store(n, co, oy, ox0 + 2u, a.p2, b);
    store(n, co, oy, ox0 + 3u, a.p3, b);
    store(n, co, oy, ox0 + 4u, a.p4, b);
    store(n, co, oy, ox0 + 5u, a.p5, b);
    store(n, co, oy, ox0 + 6u, a.p6, b);
    store(n, co, oy, ox0 + 7u, a.p7, b);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let qw = (p.w + 7u) / 8u; // 8-pixel runs per row
    if (gid.x >= qw * ((p.h + 3u) / 4u)) {
        return;
    }
    let oy = gid.x / qw * 4u;
    let ox0 = (gid.x % qw) * 8u;
    let n = wid.z;
    let co = wid.y * 8u; // the invocation's channels: co..co+3 in a*, co+4..co+7 in b*
    // a0..a3, b0..b3: output rows oy..oy+3.
    var a0: Acc;
    var a1: Acc;
    var a2: Acc;
    var a3: Acc;
    var b0: Acc;
    var b1: Acc;
    var b2: Acc;
    var b3: Acc;
    let y0 = i32(oy) - 1;
    let x0 = i32(ox0);
    for (var ci = 0u; ci < p.cin; ci++) {
        let base = (n * p.cin + ci) * p.h * p.w;
        let wa0 = weights(co, ci, 0u);
        let wa1 = weights(co, ci, 1u);
        let wa2 = weights(co, ci, 2u);
        let wb0 = weights(co + 4u, ci, 0u);
        let wb1 = weights(co + 4u, ci, 1u);
        let wb2 = weights(co + 4u, ci, 2u);
        // Input row y0+j feeds output row oy+j−ky through kernel row ky.
        var r = row(base, y0, x0);
        a0 = taps(a0, r, wa0);
        b0 = taps(b0, r, wb0);
        r = row(base, y0 + 1, x0);
        a0 = taps(a0, r, wa1);
        b0 = taps(b0, r, wb1);
        a1 = taps(a1, r, wa0);
        b1 = taps(b1, r, wb0);
        r = row(base, y0 + 2, x0);
        a0 = taps(a0, r, wa2);
        b0 = taps(b0, r, wb2);
        a1 = taps(a1, r, wa1);
        b1 = taps(b1, r, wb1);
        a2 = taps(a2, r, wa0);
        b2 = taps(b2, r, wb0);
        r = row(base, y0 + 3, x0);
        a1 = taps(a1, r, wa2);
        b1 = taps(b1, r, wb2);
        a2 = taps(a2, r, wa1);
        b2 = taps(b2, r, wb1);
        a3 = taps(a3, r, wa0);
        b3 = taps(b3, r, wb0);
        r = row(base, y0 + 4, x0);
        a2 = taps(a2, r, wa2);
        b2 = taps(b2, r, wb2);
        a3 = taps(a3, r, wa1);
        b3 = taps(b3, r, wb1);
        r = row(base, y0 + 5, x0);
        a3 = taps(a3, r, wa2);
        b3 = taps(b3, r, wb2);
    }
    let ba = biases(co);
    let bb = biases(co + 4u);
    store8(n, co, oy, ox0, a0, ba);
    store8(n, co, oy + 1u, ox0, a1, ba);
    store8(n, co, oy + 2u, ox0, a2, ba);
    store8(n, co, oy + 3u, ox0, a3, ba);
    if (co + 4u < p.cout) {
        store8(n, co + 4u, oy, ox0, b0, bb);
        store8(n, co + 4u, oy + 1u, ox0, b1, bb);
        store8(n, co + 4u, oy + 2u, ox0, b2, bb);
        store8(n, co + 4u, oy + 3u, ox0, b3, bb);
    }
}
