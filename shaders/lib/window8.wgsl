// window8: one invocation of a 1-D blur of 2r+1 taps computes 8
// consecutive outputs. It keeps the 8 inputs under tap u of its 8 outputs
// in registers and slides them one position per tap, so each tap loads one
// weight and one new input: (2r+1)/8 loads per output instead of 2r+1 (on
// lavapipe each load costs several multiply-adds).
//
// The including kernel defines:
//   alias Win = T;                         the blurred value: f32, vec3<f32>
//                                          or a struct
//   fn win_load(base: u32, k: i32) -> Win  input k of the line at base
//                                          (the kernel's own clamping or
//                                          zero padding)
//   fn win_tap(u: i32, r: i32) -> f32      the weight of step u (0..2r)
//   fn win_madd(o: Win, g: f32, v: Win) -> Win   o + g·v

// slide8 returns out[K] = Σ_{u=0..2r} win_tap(u, r)·win_load(base, first + K + u)
// for K = 0..7.
fn slide8(base: u32, first: i32, r: i32) -> array<Win, 8> {
    // vK: the input under step u of output K.
    var v0 = win_load(base, first);
    var v1 = win_load(base, first + 1);
    var v2 = win_load(base, first + 2);
    var v3 = win_load(base, first + 3);
    var v4 = win_load(base, first + 4);
    var v5 = win_load(base, first + 5);
    var v6 = win_load(base, first + 6);
    var o0: Win;
    var o1: Win;
    var o2: Win;
    var o3: Win;
    var o4: Win;
    var o5: Win;
    var o6: Win;
    var o7: Win;
    for (var u = 0; u <= 2 * r; u++) {
        let v7 = win_load(base, first + u + 7);
        let g = win_tap(u, r);
        o0 = win_madd(o0, g, v0);
        o1 = win_madd(o1, g, v1);
        o2 = win_madd(o2, g, v2);
        o3 = win_madd(o3, g, v3);
        o4 = win_madd(o4, g, v4);
        o5 = win_madd(o5, g, v5);
        o6 = win_madd(o6, g, v6);
        o7 = win_madd(o7, g, v7);
        v0 = v1;
        v1 = v2;
        v2 = v3;
        v3 = v4;
        v4 = v5;
        v5 = v6;
        v6 = v7;
    }
    return array<Win, 8>(o0, o1, o2, o3, o4, o5, o6, o7);
}
