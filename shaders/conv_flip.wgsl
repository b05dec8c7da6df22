// conv_flip: the weights of a convolution's input gradient: channels
// swapped and taps flipped, wt[ci, co, t] = w[co, ci, k² − 1 − t] (t = ky·k + kx),
// so that conv(g, wt) with zero padding k/2 is the transpose of conv(·, w).
// Layout: w (Cout,Cin,k,k); wt (Cin,Cout,k,k); one invocation per weight.

struct Params {
    n: u32,      // Cout·Cin·k²
    cout: u32,   // output channels of w
    cin: u32,    // input channels of w
    kk: u32,     // k²
};

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> wt: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let t = i % p.kk;
    let co = (i / p.kk) % p.cout;
    let ci = i / (p.kk * p.cout);
    wt[i] = w[(co * p.cin + ci) * p.kk + p.kk - 1u - t];
}
