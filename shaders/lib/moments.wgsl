// moments: the five SSIM moments of lossmap_h8 as window8's Win. The
// including kernel includes window8.

// Mom holds the five moments (a', b', a'², b'²) and a'b' of a pixel, or
// their blur.
struct Mom {
    s: vec4<f32>,
    ab: f32,
};

alias Win = Mom;

fn win_madd(o: Win, g: f32, v: Win) -> Win {
    return Mom(o.s + g * v.s, o.ab + g * v.ab);
}
