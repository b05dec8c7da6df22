// conv_dw3x3: partial weight gradients of a 3×3 convolution (stride 1, zero
// padding 1), one per chunk of pixels:
//
//	part[chunk, co, ci, t] = Σ_{(n,y,x) in chunk} g[n,co,y,x]·x[n, ci, y+ky−1, x+kx−1]
//
// with t = ky·3 + kx; conv_dw_sum adds the chunks up into dw (Cout,Cin,3,3).
// Layout: g (N,Cout,H,W); x (N,Cin,H,W); part (chunks,Cout,Cin,3,3).
// A chunk is the rows [band·rb, band·rb + rb) of image n0 + n (clipped to
// H) restricted to the 8-pixel strips [group·sq, group·sq + sq) of those
// rows, chunk = (n·bands + band)·groups + group; a pass covers the chunks of
// some images.
//
// Register tiling: one invocation (a work item) computes 8 output channels ×
// 4 input channels × 9 taps of one chunk (72 vec4 accumulators over 4 output
// channels). It walks each strip of its chunk down the rows, keeping the
// three 10-pixel input rows its 4 input channels need (the row below is the
// only new load per step), and loads g at 8 channels × 8 pixels: 104 loads
// for 2304 multiply-adds per row step. On Mesa lavapipe every buffer load
// inside a loop costs a per-invocation loop of scalar loads, so the ratio of
// multiply-adds to loads is what sets the speed; there is no reduction across
// invocations (each writes its own partial tile), and the body is unrolled by
// hand (loops over private arrays ran slower on lavapipe).
// Work items are numbered item = (chunk·cog + co group)·cig + ci group; this
// dispatch runs items item0 .. item0+count−1, 64 per workgroup, the workgroup
// index folded as wid.x + wid.y·num_workgroups.x.

struct Params {
    cin: u32,     // input channels
    cout: u32,    // output channels
    h: u32,       // height
    w: u32,       // width
    qw: u32,      // 8-pixel strips per row, ceil(W/8)
    rb: u32,      // rows per band
    sq: u32,      // strips per strip group
    bands: u32,   // bands per image, ceil(H/rb)
    groups: u32,  // strip groups per band, ceil(qw/sq)
    cig: u32,     // input-channel groups, ceil(Cin/4)
    cog: u32,     // output-channel groups, ceil(Cout/8)
    n0: u32,      // first image of this pass
    item0: u32,   // first work item of this dispatch
    count: u32,   // work items in this dispatch
};

@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// Acc holds 4 output channels (the vec4) × the 9 taps of one input channel.
struct Acc {
    t0: vec4<f32>, t1: vec4<f32>, t2: vec4<f32>,
    t3: vec4<f32>, t4: vec4<f32>, t5: vec4<f32>,
    t6: vec4<f32>, t7: vec4<f32>, t8: vec4<f32>,
};

// G8 holds g at 4 output channels (the vec4) × 8 consecutive pixels of a row.
struct G8 {
    p0: vec4<f32>, p1: vec4<f32>, p2: vec4<f32>, p3: vec4<f32>,
    p4: vec4<f32>, p5: vec4<f32>, p6: vec4<f32>, p7: vec4<f32>,
};

// gv loads g at channels co..co+3 (clamped to Cout−1; the clamped channels'
// sums are never stored) of the pixel at plane offset i, zero when ok is false.
fn gv(i: u32, co: u32, ok: bool) -> vec4<f32> {
    let hw = p.h * p.w;
    let c = p.cout - 1u;
    let v = vec4<f32>(g[i + min(co, c) * hw], g[i + min(co + 1u, c) * hw],
                      g[i + min(co + 2u, c) * hw], g[i + min(co + 3u, c) * hw]);
    return select(vec4<f32>(0.0), v, ok);
}

// grow loads g at channels co..co+3 of image n, pixels ox0 .. ox0+7 of row oy
// (zero past the row's end).
fn grow(n: u32, co: u32, oy: u32, ox0: u32) -> G8 {
    let i = n * p.cout * p.h * p.w + oy * p.w;
    let e = p.w - 1u;
    return G8(gv(i + min(ox0, e), co, ox0 < p.w),
              gv(i + min(ox0 + 1u, e), co, ox0 + 1u < p.w),
              gv(i + min(ox0 + 2u, e), co, ox0 + 2u < p.w),
              gv(i + min(ox0 + 3u, e), co, ox0 + 3u < p.w),
              gv(i + min(ox0 + 4u, e), co, ox0 + 4u < p.w),
              gv(i + min(ox0 + 5u, e), co, ox0 + 5u < p.w),
              gv(i + min(ox0 + 6u, e), co, ox0 + 6u < p.w),
              gv(i + min(ox0 + 7u, e), co, ox0 + 7u < p.w));
}

// xv loads x at offset rb + ix of a row starting at rb, zero unless the row
// is inside the image (ok) and 0 ≤ ix < W.
fn xv(rb: u32, ix: i32, ok: bool) -> f32 {
    let v = x[rb + u32(clamp(ix, 0, i32(p.w) - 1))];
    return select(0.0, v, ok && ix >= 0 && ix < i32(p.w));
}

// xrow loads pixels ox0−1 .. ox0+8 of row iy of the input plane at base,
// zero outside the image.
fn xrow(base: u32, iy: i32, ox0: u32) -> array<f32, 10> {
    let ok = iy >= 0 && iy < i32(p.h);
    let rb = base + u32(clamp(iy, 0, i32(p.h) - 1)) * p.w;
    let o = i32(ox0);
    return array<f32, 10>(xv(rb, o - 1, ok), xv(rb, o, ok), xv(rb, o + 1, ok), xv(rb, o + 2, ok),
                          xv(rb, o + 3, ok), xv(rb, o + 4, ok), xv(rb, o + 5, ok), xv(rb, o + 6, ok),
                          xv(rb, o + 7, ok), xv(rb, o + 8, ok));
}

// tap adds Σ_j gs.pj·vj over the 8 pixels of a run to the accumulator t.
fn tap(t: vec4<f32>, gs: G8, v0: f32, v1: f32, v2: f32, v3: f32, v4: f32, v5: f32, v6: f32, v7: f32) -> vec4<f32> {
    return t + gs.p0 * v0 + gs.p1 * v1 + gs.p2 * v2 + gs.p3 * v3
             + gs.p4 * v4 + gs.p5 * v5 + gs.p6 * v6 + gs.p7 * v7;
}

// acc adds one row step: tap (ky, kx) pairs the output run's g with input row
// r<ky> shifted by kx.
fn acc(a: Acc, r0: array<f32, 10>, r1: array<f32, 10>, r2: array<f32, 10>, gs: G8) -> Acc {
    return Acc(
        tap(a.t0, gs, r0[0], r0[1], r0[2], r0[3], r0[4], r0[5], r0[6], r0[7]),
        tap(a.t1, gs, r0[1], r0[2], r0[3], r0[4], r0[5], r0[6], r0[7], r0[8]),
        tap(a.t2, gs, r0[2], r0[3], r0[4], r0[5], r0[6], r0[7], r0[8], r0[9]),
        tap(a.t3, gs, r1[0], r1[1], r1[2], r1[3], r1[4], r1[5], r1[6], r1[7]),
        tap(a.t4, gs, r1[1], r1[2], r1[3], r1[4], r1[5], r1[6], r1[7], r1[8]),
        tap(a.t5, gs, r1[2], r1[3], r1[4], r1[5], r1[6], r1[7], r1[8], r1[9]),
        tap(a.t6, gs, r2[0], r2[1], r2[2], r2[3], r2[4], r2[5], r2[6], r2[7]),
        tap(a.t7, gs, r2[1], r2[2], r2[3], r2[4], r2[5], r2[6], r2[7], r2[8]),
        tap(a.t8, gs, r2[2], r2[3], r2[4], r2[5], r2[6], r2[7], r2[8], r2[9]));
}

// store writes the tile a (channels co..co+3, those below Cout, of input
// channel ci if it is below Cin) into chunk's partial.
fn store(chunk: u32, co: u32, ci: u32, a: Acc) {
    if (ci >= p.cin) {
        return;
    }
    for (var c = 0u; c < 4u; c++) {
        if (co + c < p.cout) {
            let o = ((chunk * p.cout + co + c) * p.cin + ci) * 9u;
            part[o] = a.t0[c];
            part[o + 1u] = a.t1[c];
            part[o + 2u] = a.t2[c];
            part[o + 3u] = a.t3[c];
            part[o + 4u] = a.t4[c];
            part[o + 5u] = a.t5[c];
            part[o + 6u] = a.t6[c];
            part[o + 7u] = a.t7[c];
            part[o + 8u] = a.t8[c];
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
    let grp = chunk % p.groups;
    let band = (chunk / p.groups) % p.bands;
    let n = p.n0 + chunk / (p.groups * p.bands);
    let ci = 4u * cg;
    let co = 8u * og;

    // Planes of input channels ci..ci+3, clamped to Cin−1 (the clamped
    // channels' sums are never stored).
    let hw = p.h * p.w;
    let c = p.cin - 1u;
    let b0 = (n * p.cin + min(ci, c)) * hw;
    let b1 = (n * p.cin + min(ci + 1u, c)) * hw;
    let b2 = (n * p.cin + min(ci + 2u, c)) * hw;
    let b3 = (n * p.cin + min(ci + 3u, c)) * hw;
    let y0 = band * p.rb;
    let y1 = min(y0 + p.rb, p.h);
    let s1 = min((grp + 1u) * p.sq, p.qw);

    // a<j> holds input channel ci + j/2, output channels co..co+3 (j even)
    // or co+4..co+7 (j odd).
    var a0: Acc; var a1: Acc; var a2: Acc; var a3: Acc;
    var a4: Acc; var a5: Acc; var a6: Acc; var a7: Acc;
    for (var s = grp * p.sq; s < s1; s++) {
        let ox0 = 8u * s;
        // r<j><ky>: input channel ci + j, rows y−1, y, y+1 of the step at y.
        var r00 = xrow(b0, i32(y0) - 1, ox0);
        var r01 = xrow(b0, i32(y0), ox0);
        var r10 = xrow(b1, i32(y0) - 1, ox0);
        var r11 = xrow(b1, i32(y0), ox0);
        var r20 = xrow(b2, i32(y0) - 1, ox0);
        var r21 = xrow(b2, i32(y0), ox0);
        var r30 = xrow(b3, i32(y0) - 1, ox0);
        var r31 = xrow(b3, i32(y0), ox0);
        for (var y = y0; y < y1; y++) {
            let r02 = xrow(b0, i32(y) + 1, ox0);
            let r12 = xrow(b1, i32(y) + 1, ox0);
            let r22 = xrow(b2, i32(y) + 1, ox0);
            let r32 = xrow(b3, i32(y) + 1, ox0);
            let gl = grow(n, co, y, ox0);
            let gh = grow(n, co + 4u, y, ox0);
            a0 = acc(a0, r00, r01, r02, gl);
            a1 = acc(a1, r00, r01, r02, gh);
            a2 = acc(a2, r10, r11, r12, gl);
            a3 = acc(a3, r10, r11, r12, gh);
            a4 = acc(a4, r20, r21, r22, gl);
            a5 = acc(a5, r20, r21, r22, gh);
            a6 = acc(a6, r30, r31, r32, gl);
            a7 = acc(a7, r30, r31, r32, gh);
            r00 = r01; r01 = r02;
            r10 = r11; r11 = r12;
            r20 = r21; r21 = r22;
            r30 = r31; r31 = r32;
        }
    }
    store(chunk, co, ci, a0);
    store(chunk, co + 4u, ci, a1);
    store(chunk, co, ci + 1u, a2);
    store(chunk, co + 4u, ci + 1u, a3);
    store(chunk, co, ci + 2u, a4);
    store(chunk, co + 4u, ci + 2u, a5);
    store(chunk, co, ci + 3u, a6);
    store(chunk, co + 4u, ci + 3u, a7);
}
