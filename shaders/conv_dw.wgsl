// conv_dw: the weight gradient of a convolution (stride 1, zero padding
// k/2), dw[co, ci, ky, kx] = Σ_{n,y,x} g[n,co,y,x]·x[n, ci, y+ky−k/2, x+kx−k/2].
// One workgroup per (co, ci, chunk) computes up to 9 taps (the chunk's,
// t = 9·chunk + 0..8 of the k² taps t = ky·k + kx): each invocation sums its
// taps over a strided share of the N·H·W pixels, then one tree reduction in
// workgroup memory per tap.
// Layout: g (N,Cout,H,W); x (N,Cin,H,W); dw (Cout,Cin,k,k).

struct Params {
    n: u32,        // images
    cin: u32,      // input channels
    cout: u32,     // output channels
    h: u32,        // height
    w: u32,        // width
    k: u32,        // kernel side, odd
    chunks: u32,   // ceil(k²/9)
};

@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// partial[t·256 + lid] is invocation lid's sum for tap t of the chunk.
var<workgroup> partial: array<f32, 2304>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    // The workgroup index is uniform, so the early return keeps the barriers
    // below in uniform control flow.
    let grp = wid.x + wid.y * nwg.x;
    if (grp >= p.cout * p.cin * p.chunks) {
        return;
    }
    let chunk = grp % p.chunks;
    let pair = grp / p.chunks;   // co·Cin + ci
    let ci = pair % p.cin;
    let co = pair / p.cin;
    let kk = p.k * p.k;
    let t0 = 9u * chunk;
    let taps = min(9u, kk - t0);
    let r = i32(p.k / 2u);
    let hw = p.h * p.w;

    var acc: array<f32, 9>;
    for (var j = lid; j < p.n * hw; j += 256u) {
        let img = j / hw;
        let pix = j % hw;
        let gv = g[(img * p.cout + co) * hw + pix];
        let y = i32(pix / p.w);
        let xx = i32(pix % p.w);
        let xb = (img * p.cin + ci) * hw;
        // A constant trip count lets the compiler unroll the loop and keep
        // acc in registers.
        for (var t = 0u; t < 9u; t++) {
            let tap = t0 + t;
            let iy = y + i32(tap / p.k) - r;
            let ix = xx + i32(tap % p.k) - r;
            if (t < taps && iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
                acc[t] += gv * x[xb + u32(iy) * p.w + u32(ix)];
            }
        }
    }
    for (var t = 0u; t < 9u; t++) {
        partial[t * 256u + lid] = acc[t];
    }
    workgroupBarrier();
    for (var stride = 128u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            for (var t = 0u; t < 9u; t++) {
                partial[t * 256u + lid] += partial[t * 256u + lid + stride];
            }
        }
        workgroupBarrier();
    }
    if (lid < taps) {
        dw[pair * kk + t0 + lid] = partial[lid * 256u];
    }
}
