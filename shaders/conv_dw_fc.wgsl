// conv_dw_fc: the weight gradient of a 1×1 convolution on 1×1 planes (the
// attention and SKFF fully connected layers): dw[co, ci] = Σ_n g[n, co]·x[n, ci].
// Layout: g (N,Cout,1,1); x (N,Cin,1,1); dw (Cout,Cin,1,1). One invocation
// per weight.

struct Params {
    n: u32,      // images
    cin: u32,    // input channels
    cout: u32,   // output channels
};

@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.cout * p.cin) {
        return;
    }
    let ci = i % p.cin;
    let co = i / p.cin;
    var s = 0.0;
    for (var img = 0u; img < p.n; img++) {
        s += g[img * p.cout + co] * x[img * p.cin + ci];
    }
    dw[i] = s;
}
