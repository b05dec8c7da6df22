// gauss_tap: window8's weights for a blur by G_σ. The including kernel
// binds taps (array<f32>) and Params p with field tap_off, where the 2r+1
// taps start.

// win_tap is the weight of step u: tap u of G_σ.
fn win_tap(u: i32, r: i32) -> f32 {
    return taps[p.tap_off + u32(u)];
}
