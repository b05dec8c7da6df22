// ssim: the SSIM constants and the two factors of one scale that the loss
// map's kernels compute from blurred moments (see lossmap_v): s = (μa',
// μb', G∗a'², G∗b'²) and ab = G∗(a'b'), with a' = a − ½, b' = b − ½.

const C1 = 0.0001;  // (0.01)², backend.SSIMC1
const C2 = 0.0009;  // (0.03)², backend.SSIMC2

// ssim_cs returns the contrast-structure term
// (2·cab + C2)/(va + vb + C2), va = G∗a'² − μa'², vb = G∗b'² − μb'²,
// cab = G∗(a'b') − μa'·μb'.
fn ssim_cs(s: vec4<f32>, ab: f32) -> f32 {
    let va = s.z - s.x * s.x;
    let vb = s.w - s.y * s.y;
    let cab = ab - s.x * s.y;
    return (2.0 * cab + C2) / (va + vb + C2);
}

// ssim_l returns the luminance term (2·μa·μb + C1)/(μa² + μb² + C1),
// μa = μa' + ½, μb = μb' + ½.
fn ssim_l(s: vec4<f32>) -> f32 {
    let mua = s.x + 0.5;
    let mub = s.y + 0.5;
    return (2.0 * mua * mub + C1) / (mua * mua + mub * mub + C1);
}
