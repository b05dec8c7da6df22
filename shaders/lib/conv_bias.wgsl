// conv_bias: the bias of 4 output channels of a convolution. The including
// kernel binds bias (array<f32>) and Params p with fields cout and
// has_bias.

// biases loads the bias of channels co..co+3 (zero past cout or without
// bias).
fn biases(co: u32) -> vec4<f32> {
    var b = vec4<f32>(0.0);
    for (var c = 0u; c < 4u; c++) {
        if (p.has_bias != 0u && co + c < p.cout) {
            b[c] = bias[co + c];
        }
    }
    return b;
}
