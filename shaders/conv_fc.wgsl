// conv_fc: a 1×1 convolution on 1×1 planes (the attention and SKFF fully
// connected layers): out[n, co] = act(Σ_ci w[co, ci]·x[n, ci] + bias[co]).
// Layout: x (N,Cin,1,1); w (Cout,Cin,1,1) as given; bias (Cout) (unread when
// has_bias is 0); out (N,Cout,1,1). One invocation per output.

struct Params {
    n: u32,         // images
    cin: u32,       // input channels
    cout: u32,      // output channels
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
    if (i >= p.n * p.cout) {
        return;
    }
    let n = i / p.cout;
    let co = i % p.cout;
    var s = 0.0;
    if (p.has_bias != 0u) {
        s = bias[co];
    }
    for (var ci = 0u; ci < p.cin; ci++) {
        s += w[co * p.cin + ci] * x[n * p.cin + ci];
    }
    out[i] = activate(s, p.act);
}
