// window8_transpose: window8's pieces for the transpose of a half of G_σ
// with edge replication, applied as a gather to three fields at once (see
// lossmap_vt): Win, the reversed taps, and edge, the taps that the
// forward's clamp moved onto the first and the last position of a line.
// The including kernel includes window8; binds taps (array<f32>) and
// Params p with fields r (the tap radius), tap_off (where the 2r+1 taps
// start) and cum_off (where their 2r+2 prefix sums start: Σ_{t<k} g_t at
// cum_off + k); and defines win_load to give zeros outside the line.

alias Win = vec3<f32>;

// win_tap is the weight of step u of the transposed blur: tap 2r − u.
fn win_tap(u: i32, r: i32) -> f32 {
    return taps[p.tap_off + u32(2 * r - u)];
}

fn win_madd(o: Win, g: f32, v: Win) -> Win {
    return o + g * v;
}

// edge returns what the clamp moved onto position k of the line of len
// positions at base: nothing unless k is its first or its last position.
fn edge(base: u32, k: i32, len: i32) -> vec3<f32> {
    let r = i32(p.r);
    var s = vec3<f32>(0.0);
    if (k == 0) {
        for (var q = 0; q < min(r, len); q++) {
            s += taps[p.cum_off + u32(r - q)] * win_load(base, q);
        }
    }
    if (k == len - 1) {
        let all = taps[p.cum_off + u32(2 * r + 1)];
        for (var q = max(0, len - r); q < len; q++) {
            s += (all - taps[p.cum_off + u32(len - q + r)]) * win_load(base, q);
        }
    }
    return s;
}
