// conv1x1: out = act(w·x + bias) per pixel, a 1×1 convolution as a matrix
// product over the flattened pixels of each image.
// Layout: x (N,Cin,H·W); wp the weights repacked by conv_repack with k = 1
// ([ci·cout4 + co/4] as vec4 over 4 output channels); bias (Cout) (unread when
// has_bias is 0); out (N,Cout,H·W).
//
// Register tiling as in conv3x3: one invocation computes 8 output channels ×
// 8 consecutive pixels, loading 8 inputs and 2 weight vec4s per input channel
// for 64 multiply-adds; the workgroup's 64 invocations share the channel
// group, so weight loads are uniform.
// Grid: (ceil(ceil(H·W/8) / 64), ceil(Cout/8), N).

struct Params {
    cin: u32,       // input channels
    cout: u32,      // output channels
    hw: u32,        // pixels per plane, H·W
    cout4: u32,     // vec4 groups per ci row of wp
    act: u32,       // ACT_LINEAR, ACT_RELU or ACT_SIGMOID (backend.Activation)
    has_bias: u32,  // 1 if bias is read
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wp: array<vec4<f32>>;
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

fn madd(a: Acc, r: array<f32, 8>, w: vec4<f32>) -> Acc {
    return Acc(a.p0 + r[0] * w, a.p1 + r[1] * w, a.p2 + r[2] * w, a.p3 + r[3] * w,
               a.p4 + r[4] * w, a.p5 + r[5] * w, a.p6 + r[6] * w, a.p7 + r[7] * w);
}

// store writes channels co..co+3 (those below cout) of pixel i of image n.
fn store(n: u32, co: u32, i: u32, v: vec4<f32>) {
    if (i >= p.hw) {
        return;
    }
    let y = activate4(v + biases(co), p.act);
    let o = (n * p.cout + co) * p.hw + i;
    for (var c = 0u; c < 4u; c++) {
        if (co + c < p.cout) {
            out[o + c * p.hw] = y[c];
        }
    }
}

fn store8(n: u32, co: u32, i0: u32, a: Acc) {
    store(n, co, i0, a.p0);
    store(n, co, i0 + 1u, a.p1);
    store(n, co, i0 + 2u, a.p2);
    store(n, co, i0 + 3u, a.p3);
    store(n, co, i0 + 4u, a.p4);
    store(n, co, i0 + 5u, a.p5);
    store(n, co, i0 + 6u, a.p6);
    store(n, co, i0 + 7u, a.p7);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let i0 = gid.x * 8u;
    if (i0 >= p.hw) {
        return;
    }
    let n = wid.z;
    let g = wid.y * 2u; // first vec4 group of the invocation's 8 channels
    var a: Acc; // channels 4g..4g+3
    var b: Acc; // channels 4g+4..4g+7
    for (var ci = 0u; ci < p.cin; ci++) {
        let r = pixels((n * p.cin + ci) * p.hw, i0);
        let wr = ci * p.cout4 + g;
        a = madd(a, r, wp[wr]);
        b = madd(b, r, wp[wr + 1u]);
    }
    store8(n, 4u * g, i0, a);
    if (4u * g + 4u < p.cout) {
        store8(n, 4u * g + 4u, i0, b);
    }
}
