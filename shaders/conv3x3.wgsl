// conv3x3: out = act(conv(x, w) + bias), 3×3 kernel, stride 1, zero padding 1.
// Layout: x (N,Cin,H,W); wp the weights repacked by conv_repack
// ([(ci·9 + ky·3 + kx)·cout4 + co/4] as vec4 over 4 output channels);
// bias (Cout) (unread when has_bias is 0); out (N,Cout,H,W).
//
// Register tiling: one invocation computes 8 output channels × 8 pixels of a
// row (two vec4 accumulators per pixel). Per input channel and kernel row it
// loads a 10-pixel input row once and 6 weight vec4s, for 192 multiply-adds.
// The 64 invocations of a workgroup run along the pixels and share their
// channel group (workgroup_id.y), so the weight loads are uniform across the
// workgroup (broadcast on GPUs, scalar loads on lavapipe); the overlapping
// input rows of neighbouring invocations hit the cache. The body is unrolled
// by hand: on Mesa lavapipe loops over private arrays ran 2–4× slower, and a
// variant staging the input tile in workgroup memory ran 2–3× slower.
// Grid: (ceil(ceil(W/8)·H / 64), ceil(Cout/8), N).

struct Params {
    cin: u32,       // input channels
    cout: u32,      // output channels
    h: u32,         // height
    w: u32,         // width
    cout4: u32,     // vec4 groups per (ci, tap) row of wp
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
//#include conv3x3_store

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

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let qw = (p.w + 7u) / 8u; // 8-pixel runs per row
    if (gid.x >= qw * p.h) {
        return;
    }
    let oy = gid.x / qw;
    let ox0 = (gid.x % qw) * 8u;
    let n = wid.z;
    let g = wid.y * 2u; // first vec4 group of the invocation's 8 channels
    var a: Acc; // channels 4g..4g+3
    var b: Acc; // channels 4g+4..4g+7
    for (var ci = 0u; ci < p.cin; ci++) {
        let base = (n * p.cin + ci) * p.h * p.w;
        let wb = ci * 9u * p.cout4 + g;
        for (var ky = 0u; ky < 3u; ky++) {
            let r = row(base, i32(oy + ky) - 1, i32(ox0));
            let wr = wb + ky * 3u * p.cout4;
            a = taps(a, r, wp[wr], wp[wr + p.cout4], wp[wr + 2u * p.cout4]);
            b = taps(b, r, wp[wr + 1u], wp[wr + p.cout4 + 1u], wp[wr + 2u * p.cout4 + 1u]);
        }
    }
    store8(n, 4u * g, oy, ox0, a);
    if (4u * g + 4u < p.cout) {
        store8(n, 4u * g + 4u, oy, ox0, b);
    }
}
