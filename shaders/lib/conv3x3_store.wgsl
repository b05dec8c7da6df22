// conv3x3_store: the register tile of the 3×3 convolutions conv3x3 and
// conv3x3_tiled — 4 output channels at 8 consecutive pixels of a row — with
// the kernel-row step and the store. The including kernel also includes
// activation and conv_bias, and binds out (array<f32>, layout
// (N,Cout,H,W)) and Params p with fields cout, h, w and act.

// Acc holds 4 output channels at 8 consecutive pixels.
struct Acc {
    p0: vec4<f32>, p1: vec4<f32>, p2: vec4<f32>, p3: vec4<f32>,
    p4: vec4<f32>, p5: vec4<f32>, p6: vec4<f32>, p7: vec4<f32>,
};

// taps adds one kernel row: pixel j gets r[j]·w0 + r[j+1]·w1 + r[j+2]·w2.
fn taps(a: Acc, r: array<f32, 10>, w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>) -> Acc {
    return Acc(
        a.p0 + r[0] * w0 + r[1] * w1 + r[2] * w2,
        a.p1 + r[1] * w0 + r[2] * w1 + r[3] * w2,
        a.p2 + r[2] * w0 + r[3] * w1 + r[4] * w2,
        a.p3 + r[3] * w0 + r[4] * w1 + r[5] * w2,
        a.p4 + r[4] * w0 + r[5] * w1 + r[6] * w2,
        a.p5 + r[5] * w0 + r[6] * w1 + r[7] * w2,
        a.p6 + r[6] * w0 + r[7] * w1 + r[8] * w2,
        a.p7 + r[7] * w0 + r[8] * w1 + r[9] * w2);
}

// store writes channels co..co+3 (those below cout) of pixel (oy, ox) of image n.
fn store(n: u32, co: u32, oy: u32, ox: u32, v: vec4<f32>) {
    if (ox >= p.w) {
        return;
    }
    let y = activate4(v + biases(co), p.act);
    let plane = p.h * p.w;
    let i = ((n * p.cout + co) * p.h + oy) * p.w + ox;
    for (var c = 0u; c < 4u; c++) {
        if (co + c < p.cout) {
            out[i + c * plane] = y[c];
        }
    }
}

// store8 writes the tile a: channels co..co+3 of pixels ox0..ox0+7 of row oy.
fn store8(n: u32, co: u32, oy: u32, ox0: u32, a: Acc) {
    store(n, co, oy, ox0, a.p0);
    store(n, co, oy, ox0 + 1u, a.p1);
    store(n, co, oy, ox0 + 2u, a.p2);
    store(n, co, oy, ox0 + 3u, a.p3);
    store(n, co, oy, ox0 + 4u, a.p4);
    store(n, co, oy, ox0 + 5u, a.p5);
    store(n, co, oy, ox0 + 6u, a.p6);
    store(n, co, oy, ox0 + 7u, a.p7);
}
