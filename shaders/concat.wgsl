// concat along channels: y[n, c] = a[n, c] for c < Ca, else b[n, c − Ca].
// Layout: a (N,Ca,H,W), b (N,Cb,H,W), y (N,Ca+Cb,H,W), hw = H·W.

struct Params {
    n: u32,    // elements of y
    ca: u32,   // Ca
    cb: u32,   // Cb
    hw: u32,   // H·W
};

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let ct = p.ca + p.cb;
    let s = i % p.hw;
    let c = (i / p.hw) % ct;
    let n = i / (p.hw * ct);
    if (c < p.ca) {
        y[i] = a[(n * p.ca + c) * p.hw + s];
    } else {
        y[i] = b[(n * p.cb + c - p.ca) * p.hw + s];
    }
}
