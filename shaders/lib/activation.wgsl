// activation: the fused activations of backend.Activation. The codes
// ACT_LINEAR, ACT_RELU and ACT_SIGMOID are constants generated from the Go
// ones (shaders.Source puts them above this text).

// activate is act(v) for one value.
fn activate(v: f32, act: u32) -> f32 {
    if (act == ACT_RELU) {
        return max(v, 0.0);
    }
    if (act == ACT_SIGMOID) {
        return 1.0 / (1.0 + exp(-v));
    }
    return v;
}

// activate4 is act(v) for 4 values.
fn activate4(v: vec4<f32>, act: u32) -> vec4<f32> {
    if (act == ACT_RELU) {
        return max(v, vec4<f32>(0.0));
    }
    if (act == ACT_SIGMOID) {
        return 1.0 / (1.0 + exp(-v));
    }
    return v;
}

// activate_backward maps the gradient d of y = act(v) to v's, from y.
fn activate_backward(d: f32, y: f32, act: u32) -> f32 {
    if (act == ACT_RELU) {
        return select(0.0, d, y > 0.0);
    }
    if (act == ACT_SIGMOID) {
        return d * y * (1.0 - y);
    }
    return d;
}
