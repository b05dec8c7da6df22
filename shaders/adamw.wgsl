// adamw: one step of PyTorch's torch.optim.AdamW, in place:
//   param ← param·(1 − lr·wd)
//   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
//   param ← param − step·m/(sqrt(v)/bc2 + eps)
// with step = lr/(1 − β1^t) and bc2 = sqrt(1 − β2^t) computed on the host.
// Layout: param, grad, m, v of one shape; one invocation per element.

struct Params {
    n: u32,         // elements
    decay: f32,     // 1 − lr·wd
    beta1: f32,     // β1
    beta2: f32,     // β2
    one_b1: f32,    // 1 − β1
    one_b2: f32,    // 1 − β2
    step: f32,      // lr/(1 − β1^t)
    bc2: f32,       // sqrt(1 − β2^t)
    eps: f32,       // ε
};

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let g = grad[i];
    let mi = p.beta1 * m[i] + p.one_b1 * g;
    let vi = p.beta2 * v[i] + p.one_b2 * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i] * p.decay - p.step * mi / (sqrt(vi) / p.bc2 + p.eps);
}
