// noise: x = (1 − λ)·x0 + λ·ε, ε = 0.5 + 0.5·z, z the counter-based normal
// draw of internal/backend/noise.go for flat index i:
//   k = pcg(seed); h1 = pcg(pcg(2i) ^ k); h2 = pcg(pcg(2i+1) ^ k)
//   u1 = ((h1>>8)+1)·2⁻²⁴ ∈ (0,1]; u2 = (h2>>8)·2⁻²⁴ ∈ [0,1)
//   z = sqrt(−2 ln u1)·cos(2π u2)
// The hashes are bit-identical to the Go ones (u32 arithmetic wraps); z is
// float32 where Go uses float64.
// Layout: x0, x any tensor of n floats.

struct Params {
    n: u32,        // elements
    key: u32,      // pcg(seed)
    lambda: f32,   // λ
};

@group(0) @binding(0) var<storage, read> x0: array<f32>;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

// pcg is the PCG-RXS-M-XS 32-bit hash (backend.PCGHash).
fn pcg(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.n) {
        return;
    }
    let h1 = pcg(pcg(2u * i) ^ p.key);
    let h2 = pcg(pcg(2u * i + 1u) ^ p.key);
    let u1 = f32((h1 >> 8u) + 1u) * (1.0 / 16777216.0);
    let u2 = f32(h2 >> 8u) * (1.0 / 16777216.0);
    // cos(2π·u2) = −cos(2π·(u2 − 0.5)): keeps the argument in [−π, π), where
    // WGSL bounds cos's error.
    let z = sqrt(-2.0 * log(u1)) * -cos(6.283185307179586 * (u2 - 0.5));
    x[i] = (1.0 - p.lambda) * x0[i] + p.lambda * (0.5 + 0.5 * z);
}
