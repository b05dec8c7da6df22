// conv_dw1x1: partial weight gradients of a 1×1 convolution, one per chunk
// of pixels:
//
//	part[chunk, co, ci] = Σ_{(n,i) in chunk} g[n,co,i]·x[n,ci,i]
//
// conv_dw_sum adds the chunks up into dw (Cout,Cin,1,1).
// Layout: g (N,Cout,H·W); x (N,Cin,H·W); part (chunks,Cout,Cin).
// A chunk is the 8-pixel runs [c·runs, c·runs + runs) (clipped to the
// plane's ceil(H·W/8)) of image n0 + n, chunk = n·cpi + c; a pass covers
// the chunks of some images.
//
// Register tiling as in conv_dw3x3: one invocation (a work item) computes
// 16 output channels × 16 input channels of one chunk (64 vec4 accumulators
// over 4 output channels), loading 8 pixels of each of its 32 channels per
// step: 256 loads for 2048 multiply-adds. There is no reduction across
// invocations, and the body is unrolled by hand.
// Work items are numbered item = (chunk·cog + co group)·cig + ci group; this
// dispatch runs items item0 .. item0+count−1, 64 per workgroup, the workgroup
// index folded as wid.x + wid.y·num_workgroups.x.

struct Params {
    cin: u32,     // input channels
    cout: u32,    // output channels
    hw: u32,      // pixels per plane, H·W
    runs: u32,    // 8-pixel runs per chunk
    rpi: u32,     // 8-pixel runs per plane, ceil(H·W/8)
    cpi: u32,     // chunks per image, ceil(rpi/runs)
    cig: u32,     // input-channel groups, ceil(Cin/16)
    cog: u32,     // output-channel groups, ceil(Cout/16)
    n0: u32,      // first image of this pass
    item0: u32,   // first work item of this dispatch
    count: u32,   // work items in this dispatch
};

@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// Acc holds 16 output channels (q<j> channels 4j..4j+3) of one input channel.
struct Acc {
    q0: vec4<f32>, q1: vec4<f32>, q2: vec4<f32>, q3: vec4<f32>,
};

// G8 holds g at 4 output channels (the vec4) × 8 consecutive pixels.
struct G8 {
    p0: vec4<f32>, p1: vec4<f32>, p2: vec4<f32>, p3: vec4<f32>,
    p4: vec4<f32>, p5: vec4<f32>, p6: vec4<f32>, p7: vec4<f32>,
};

// gv loads g at channels co..co+3 (clamped to Cout−1; the clamped channels'
// sums are never stored) of pixel i of image n, zero past the plane's end.
fn gv(n: u32, co: u32, i: u32) -> vec4<f32> {
    let c = p.cout - 1u;
    let o = n * p.cout * p.hw + min(i, p.hw - 1u);
    let v = vec4<f32>(g[o + min(co, c) * p.hw], g[o + min(co + 1u, c) * p.hw],
                      g[o + min(co + 2u, c) * p.hw], g[o + min(co + 3u, c) * p.hw]);
    return select(vec4<f32>(0.0), v, i < p.hw);
}

// grun loads g at channels co..co+3 of image n, pixels i0 .. i0+7.
fn grun(n: u32, co: u32, i0: u32) -> G8 {
    return G8(gv(n, co, i0), gv(n, co, i0 + 1u), gv(n, co, i0 + 2u), gv(n, co, i0 + 3u),
              gv(n, co, i0 + 4u), gv(n, co, i0 + 5u), gv(n, co, i0 + 6u), gv(n, co, i0 + 7u));
}

// xrun loads pixels i0 .. i0+7 of the input plane at base (clamped to the
// plane: the pixels past its end meet zeros of g).
fn xrun(base: u32, i0: u32) -> array<f32, 8> {
    let e = p.hw - 1u;
    return array<f32, 8>(x[base + min(i0, e)], x[base + min(i0 + 1u, e)],
                         x[base + min(i0 + 2u, e)], x[base + min(i0 + 3u, e)],
                         x[base + min(i0 + 4u, e)], x[base + min(i0 + 5u, e)],
                         x[base + min(i0 + 6u, e)], x[base + min(i0 + 7u, e)]);
}

// tap adds Σ_j gs.pj·v[j] over the 8 pixels of a run to the accumulator t.
fn tap(t: vec4<f32>, gs: G8, v: array<f32, 8>) -> vec4<f32> {
    return t + gs.p0 * v[0] + gs.p1 * v[1] + gs.p2 * v[2] + gs.p3 * v[3]
             + gs.p4 * v[4] + gs.p5 * v[5] + gs.p6 * v[6] + gs.p7 * v[7];
}

// addRun adds one run of input channel values v to a.
fn addRun(a: Acc, v: array<f32, 8>, g0: G8, g1: G8, g2: G8, g3: G8) -> Acc {
    return Acc(tap(a.q0, g0, v), tap(a.q1, g1, v), tap(a.q2, g2, v), tap(a.q3, g3, v));
}

// store writes a (output channels co..co+15, those below Cout, of input
// channel ci if it is below Cin) into chunk's partial.
fn store(chunk: u32, co: u32, ci: u32, a: Acc) {
    if (ci >= p.cin) {
        return;
    }
    for (var c = 0u; c < 4u; c++) {
        let o = (chunk * p.cout + co + c) * p.cin + ci;
        let m = p.cout - co; // channels left from co
        if (c < m) {
            part[o] = a.q0[c];
        }
        if (c + 4u < m) {
            part[o + 4u * p.cin] = a.q1[c];
        }
        if (c + 8u < m) {
            part[o + 8u * p.cin] = a.q2[c];
        }
        if (c + 12u < m) {
            part[o + 12u * p.cin] = a.q3[c];
        }
    }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = (wid.x + wid.y * nwg.x) * 64u + lid;
    if (k >= p.count) {
        return;
    }
    let item = p.item0 + k;
    let cg = item % p.cig;
    let og = (item / p.cig) % p.cog;
    let chunk = item / (p.cig * p.cog);
    let n = p.n0 + chunk / p.cpi;
    let r0 = (chunk % p.cpi) * p.runs;
    let r1 = min(r0 + p.runs, p.rpi);
    let ci = 16u * cg;
    let co = 16u * og;

    // Planes of input channels ci..ci+15, clamped to Cin−1 (the clamped
    // channels' sums are never stored).
    let c = p.cin - 1u;
    let xb = n * p.cin;
    let b0 = (xb + min(ci, c)) * p.hw;
    let b1 = (xb + min(ci + 1u, c)) * p.hw;
    let b2 = (xb + min(ci + 2u, c)) * p.hw;
    let b3 = (xb + min(ci + 3u, c)) * p.hw;
    let b4 = (xb + min(ci + 4u, c)) * p.hw;
    let b5 = (xb + min(ci + 5u, c)) * p.hw;
    let b6 = (xb + min(ci + 6u, c)) * p.hw;
    let b7 = (xb + min(ci + 7u, c)) * p.hw;
    let b8 = (xb + min(ci + 8u, c)) * p.hw;
    let b9 = (xb + min(ci + 9u, c)) * p.hw;
    let b10 = (xb + min(ci + 10u, c)) * p.hw;
    let b11 = (xb + min(ci + 11u, c)) * p.hw;
    let b12 = (xb + min(ci + 12u, c)) * p.hw;
    let b13 = (xb + min(ci + 13u, c)) * p.hw;
    let b14 = (xb + min(ci + 14u, c)) * p.hw;
    let b15 = (xb + min(ci + 15u, c)) * p.hw;

    // a<j> holds input channel ci + j.
    var a0: Acc; var a1: Acc; var a2: Acc; var a3: Acc;
    var a4: Acc; var a5: Acc; var a6: Acc; var a7: Acc;
    var a8: Acc; var a9: Acc; var a10: Acc; var a11: Acc;
    var a12: Acc; var a13: Acc; var a14: Acc; var a15: Acc;
    for (var r = r0; r < r1; r++) {
        let i0 = 8u * r;
        let g0 = grun(n, co, i0);
        let g1 = grun(n, co + 4u, i0);
        let g2 = grun(n, co + 8u, i0);
        let g3 = grun(n, co + 12u, i0);
        a0 = addRun(a0, xrun(b0, i0), g0, g1, g2, g3);
        a1 = addRun(a1, xrun(b1, i0), g0, g1, g2, g3);
        a2 = addRun(a2, xrun(b2, i0), g0, g1, g2, g3);
        a3 = addRun(a3, xrun(b3, i0), g0, g1, g2, g3);
        a4 = addRun(a4, xrun(b4, i0), g0, g1, g2, g3);
        a5 = addRun(a5, xrun(b5, i0), g0, g1, g2, g3);
        a6 = addRun(a6, xrun(b6, i0), g0, g1, g2, g3);
        a7 = addRun(a7, xrun(b7, i0), g0, g1, g2, g3);
        a8 = addRun(a8, xrun(b8, i0), g0, g1, g2, g3);
        a9 = addRun(a9, xrun(b9, i0), g0, g1, g2, g3);
        a10 = addRun(a10, xrun(b10, i0), g0, g1, g2, g3);
        a11 = addRun(a11, xrun(b11, i0), g0, g1, g2, g3);
        a12 = addRun(a12, xrun(b12, i0), g0, g1, g2, g3);
        a13 = addRun(a13, xrun(b13, i0), g0, g1, g2, g3);
        a14 = addRun(a14, xrun(b14, i0), g0, g1, g2, g3);
        a15 = addRun(a15, xrun(b15, i0), g0, g1, g2, g3);
    }
    store(chunk, co, ci, a0);
    store(chunk, co, ci + 1u, a1);
    store(chunk, co, ci + 2u, a2);
    store(chunk, co, ci + 3u, a3);
    store(chunk, co, ci + 4u, a4);
    store(chunk, co, ci + 5u, a5);
    store(chunk, co, ci + 6u, a6);
    store(chunk, co, ci + 7u, a7);
    store(chunk, co, ci + 8u, a8);
    store(chunk, co, ci + 9u, a9);
    store(chunk, co, ci + 10u, a10);
    store(chunk, co, ci + 11u, a11);
    store(chunk, co, ci + 12u, a12);
    store(chunk, co, ci + 13u, a13);
    store(chunk, co, ci + 14u, a14);
    store(chunk, co, ci + 15u, a15);
}
