// conv_direct: out = act(conv(x, w) + bias) for any odd k, stride 1, zero
// padding k/2; the plain fallback for kernel sizes other than 1 and 3 (which
// conv1x1 and conv3x3 compute), one invocation per output.
// Layout: x (N,Cin,H,W); w (Cout,Cin,k,k) as given; bias (Cout) (unread when
// has_bias is 0); out (N,Cout,H,W).

struct Params {
    n: u32,         // images
    cin: u32,       // input channels
    cout: u32,      // output channels
    h: u32,         // height
    w: u32,         // width
    k: u32,         // kernel side, odd
    act: u32,       // ACT_LINEAR, ACT_RELU or ACT_SIGMOID (backend.Activation)
    has_bias: u32,  // 1 if bias is read
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

//#include activation

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n * p.cout * p.h * p.w) {
        return;
    }
    let ox = i32(i % p.w);
    let oy = i32((i / p.w) % p.h);
    let co = (i / (p.w * p.h)) % p.cout;
    let n = i / (p.w * p.h * p.cout);
    let r = i32(p.k / 2u);
    var s = 0.0;
    if (p.has_bias != 0u) {
        s = bias[co];
    }
    for (var ci = 0u; ci < p.cin; ci++) {
        let xb = (n * p.cin + ci) * p.h * p.w;
        let wb = (co * p.cin + ci) * p.k * p.k;
        for (var ky = 0u; ky < p.k; ky++) {
            let iy = oy + i32(ky) - r;
            if (iy < 0 || iy >= i32(p.h)) {
                continue;
            }
            for (var kx = 0u; kx < p.k; kx++) {
                let ix = ox + i32(kx) - r;
                if (ix >= 0 && ix < i32(p.w)) {
                    s += w[wb + ky * p.k + kx] * x[xb + u32(iy) * p.w + u32(ix)];
                }
            }
        }
    }
    out[i] = activate(s, p.act);
}
