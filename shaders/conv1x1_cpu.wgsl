// conv1x1_cpu: out = act(w·x + bias) per pixel, a 1×1 convolution as a
// matrix product over the flattened pixels of each image; the variant of
// conv1x1 for CPU adapters (Mesa lavapipe).
// Layout: x (N,Cin,H·W); w (Cout,Cin) as given (no repack); bias (Cout)
// (unread when has_bias is 0); out (N,Cout,H·W).
//
// As in conv3x3_cpu, what counts on lavapipe is multiply-adds per loaded
// scalar: one invocation computes 16 output channels × 16 consecutive
// pixels, loading 16 weights and 16 inputs per input channel for 256
// multiply-adds (8 per load; conv1x1's 8 × 8 tile reaches 4).
// Grid: (ceil(ceil(H·W/16) / 64), ceil(Cout/16), N).

struct Params {
    cin: u32,       // input channels
    cout: u32,      // output channels
    hw: u32,        // pixels per plane, H·W
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

// pixels loads pixels i0 .. i0+7 of the plane at base, zero past its end.
fn pixels(base: u32, i0: u32) -> array<f32, 8> {
    var r: array<f32, 8>;
    for (var j = 0u; j < 8u; j++) {
        let i = i0 + j;
        r[j] = select(0.0, x[base + min(i, p.hw - 1u)], i < p.hw);
    }
    return r;
}

// weights loads w[co..co+3][ci]; channels past cout repeat the last one
// (never stored).
fn weights(co: u32, ci: u32) -> vec4<f32> {
    let last = p.cout - 1u;
    return vec4<f32>(w[min(co, last) * p.cin + ci], w[min(co + 1u, last) * p.cin + ci],
                     w[min(co + 2u, last) * p.cin + ci], w[min(co + 3u, last) * p.cin + ci]);
}

fn madd(a: Acc, r: array<f32, 8>, w: vec4<f32>) -> Acc {
    return Acc(a.p0 + r[0] * w, a.p1 + r[1] * w, a.p2 + r[2] * w, a.p3 + r[3] * w,
               a.p4 + r[4] * w, a.p5 + r[5] * w, a.p6 + r[6] * w, a.p7 + r[7] * w);
}

// store writes act(v + b) to channels co..co+3 (those below cout) of
// pixel i of image n.
fn store(n: u32, co: u32, i: u32, v: vec4<f32>, b: vec4<f32>) {
    if (i >= p.hw) {
        return;
    }
    let y = activate4(v + b, p.act);
    let o = (n * p.cout + co) * p.hw + i;
    for (var c = 0u; c < 4u; c++) {
        if (co + c < p.cout) {
            out[o + c * p.hw] = y[c];
        }
    }
}

// store8 writes the 8 pixels of a, plus b, from i0 on, if channel co
// exists.
fn store8(n: u32, co: u32, i0: u32, a: Acc, b: vec4<f32>) {
    if (co >= p.cout) {
        return;
    }
    store(n, co, i0, a.p0, b);
    store(n, co, i0 + 1u, a.p1, b);
    store(n, co, i0 + 2u, a.p2, b);
    store(n, co, i0 + 3u, a.p3, b);
    store(n, co, i0 + 4u, a.p4, b);
    store(n, co, i0 + 5u, a.p5, b);
    store(n, co, i0 + 6u, a.p6, b);
    store(n, co, i0 + 7u, a.p7, b);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let i0 = gid.x * 16u;
    if (i0 >= p.hw) {
        return;
    }
    let n = wid.z;
    let co = wid.y * 16u;
    // aK (bK): channels co+4K .. co+4K+3 at pixels i0 .. i0+7 (i0+8 .. i0+15).
    var a0: Acc;
    var a1: Acc;
    var a2: Acc;
    var a3: Acc;
    var b0: Acc;
    var b1: Acc;
    var b2: Acc;
    var b3: Acc;
    for (var ci = 0u; ci < p.cin; ci++) {
        let base = (n * p.cin + ci) * p.hw;
        let r = pixels(base, i0);
        let s = pixels(base, i0 + 8u);
        let w0 = weights(co, ci);
        let w1 = weights(co + 4u, ci);
        let w2 = weights(co + 8u, ci);
        let w3 = weights(co + 12u, ci);
        a0 = madd(a0, r, w0);
        a1 = madd(a1, r, w1);
        a2 = madd(a2, r, w2);
        a3 = madd(a3, r, w3);
        b0 = madd(b0, s, w0);
        b1 = madd(b1, s, w1);
        b2 = madd(b2, s, w2);
        b3 = madd(b3, s, w3);
    }
    let c0 = biases(co);
    let c1 = biases(co + 4u);
    let c2 = biases(co + 8u);
    let c3 = biases(co + 12u);
    store8(n, co, i0, a0, c0);
    store8(n, co + 4u, i0, a1, c1);
    store8(n, co + 8u, i0, a2, c2);
    store8(n, co + 12u, i0, a3, c3);
    store8(n, co, i0 + 8u, b0, c0);
    store8(n, co + 4u, i0 + 8u, b1, c1);
    store8(n, co + 8u, i0 + 8u, b2, c2);
    store8(n, co + 12u, i0 + 8u, b3, c3);
}
