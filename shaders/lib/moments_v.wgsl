// moments_v: the entry point of a kernel that applies the vertical half of
// G_σ (edge replication) to the five moments of lossmap_h8 and turns each
// pixel's blurred moments into its outputs. One invocation computes rows
// y0..y0+7 of one column with window8's slide8, so each tap loads one
// weight and one new row's five moments.
// The including kernel includes window8, moments and gauss_tap; binds m
// (5,P,H,W) from lossmap_h8 (moment k at m[k·n + i]) and Params p with
// fields n (P·H·W), h, w, r (the tap radius) and tap_off; and defines
// finish(i: u32, y: u32, o: Mom), which gets the blurred moments o of
// pixel i in row y and must ignore rows y ≥ p.h (the last block may stick
// out).
// Grid: ceil(P·ceil(H/8)·W / 256) workgroups, folded as grid1D folds.

// win_load returns the five moments of row y (clamped into the plane: edge
// replication) of the column that starts at col.
fn win_load(col: u32, y: i32) -> Win {
    let j = col + u32(clamp(y, 0, i32(p.h) - 1)) * p.w;
    return Mom(vec4<f32>(m[j], m[p.n + j], m[2u * p.n + j], m[3u * p.n + j]), m[4u * p.n + j]);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    let hb = (p.h + 7u) / 8u; // 8-row blocks per column
    let planes = p.n / (p.h * p.w);
    if (i >= planes * hb * p.w) {
        return;
    }
    let x = i % p.w;
    let y0 = (i / p.w) % hb * 8u;
    let plane = i / (p.w * hb) * p.h * p.w;
    let r = i32(p.r);
    let y = i32(y0) - r; // the input row under tap 0 of output y0
    let o = slide8(plane + x, y, r);
    let i0 = plane + y0 * p.w + x;
    finish(i0, y0, o[0]);
    finish(i0 + p.w, y0 + 1u, o[1]);
    finish(i0 + 2u * p.w, y0 + 2u, o[2]);
    finish(i0 + 3u * p.w, y0 + 3u, o[3]);
    finish(i0 + 4u * p.w, y0 + 4u, o[4]);
    finish(i0 + 5u * p.w, y0 + 5u, o[5]);
    finish(i0 + 6u * p.w, y0 + 6u, o[6]);
    finish(i0 + 7u * p.w, y0 + 7u, o[7]);
}
