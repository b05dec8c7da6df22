// conv_repack: lays conv weights out for vec4 loads over output channels.
// Layout: w is (Cout,Cin,k,k) as PyTorch stores it; wp is
// [(ci·k·k + t)·cout4 + co/4][co%4] with t = ky·k + kx, cout4 = Cout rounded up
// to a multiple of 8 (the conv kernels' channel group) divided by 4; the
// padding channels are zero. One invocation per element of wp.

struct Params {
    cout: u32,   // output channels
    cin: u32,    // input channels
    kk: u32,     // taps per channel pair, k·k
    cout4: u32,  // vec4 groups per (ci, t) row of wp
};

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> wp: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    let rowlen = p.cout4 * 4u;
    if (i >= p.cin * p.kk * rowlen) {
        return;
    }
    let co = i % rowlen;
    let r = i / rowlen; // ci·k·k + t
    var v = 0.0;
    if (co < p.cout) {
        v = w[(co * p.cin + r / p.kk) * p.kk + r % p.kk];
    }
    wp[i] = v;
}
