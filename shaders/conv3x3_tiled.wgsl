// conv3x3_tiled: out = act(conv(x, w) + bias), 3×3 kernel, stride 1, zero
// padding 1 — conv3x3's register tile with the input staged in workgroup
// memory. Layout: x (N,Cin,H,W); wp the weights repacked by conv_repack
// ([(ci·9 + ky·3 + kx)·cout4 + co/4] as vec4 over 4 output channels);
// bias (Cout) (unread when has_bias is 0); out (N,Cout,H,W).
//
// A workgroup of 64 invocations computes a tile of 32 × 16 output pixels
// (4 runs of 8 pixels × 16 rows) for 8 output channels (workgroup_id.y);
// each invocation 8 channels × 8 pixels of a row, as conv3x3. Per chunk of
// 4 input channels the workgroup stages the tile's input with its one-pixel
// halo (4 × 18 rows × 36 floats, as vec4s) and the chunk's 72 weight vec4s
// in workgroup memory, then each invocation reads 3 vec4s per input row and
// its weights as uniform (broadcast) vec4 reads from workgroup memory: every
// input value is loaded from the storage buffer about once per tile instead
// of up to 3 times (once per kernel row) by neighbouring invocations, and
// the loads are coalesced along rows. Staging ends in a barrier, so every
// invocation runs the loop, out-of-image ones included (their stores are
// skipped). Grid: (tiles_x · ceil(H/16), ceil(Cout/8), N).

struct Params {
    cin: u32,       // input channels
    cout: u32,      // output channels
    h: u32,         // height
    w: u32,         // width
    cout4: u32,     // vec4 groups per (ci, tap) row of wp
    act: u32,       // ACT_LINEAR, ACT_RELU or ACT_SIGMOID (backend.Activation)
    has_bias: u32,  // 1 if bias is read
    tiles_x: u32,   // tiles across a row, ceil(W/32)
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wp: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

//#include activation
//#include conv_bias
//#include conv3x3_store

const CT: u32 = 4u;            // input channels per staged chunk
const TW: u32 = 32u;           // tile width: 4 runs of 8 pixels
const TH: u32 = 16u;           // tile height
const ROWS: u32 = 18u;         // staged rows: TH + 2
const RV: u32 = 9u;            // vec4s per staged row: pixels ox0−1 .. ox0+34
const TILE_V4: u32 = 648u;     // CT · ROWS · RV
const W_V4: u32 = 72u;         // CT · 9 taps · 2 vec4 groups

var<workgroup> tile: array<vec4<f32>, TILE_V4>;
var<workgroup> wt: array<vec4<f32>, W_V4>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let ox0 = (wid.x % p.tiles_x) * TW; // the tile's first column and row
    let oy0 = (wid.x / p.tiles_x) * TH;
    let run = li % 4u; // the invocation's 8-pixel run and row in the tile
    let ly = li / 4u;
    let n = wid.z;
    let g = wid.y * 2u; // first vec4 group of the workgroup's 8 channels
    let plane = p.h * p.w;
    var a: Acc; // channels 4g..4g+3
    var b: Acc; // channels 4g+4..4g+7
    for (var c0 = 0u; c0 < p.cin; c0 += CT) {
        // Stage input channels c0..c0+3, rows oy0−1 .. oy0+16, columns
        // ox0−1 .. ox0+34 (zero outside the image and past cin).
        for (var e = li; e < TILE_V4; e += 64u) {
            let ci = c0 + e / (ROWS * RV);
            let iy = i32(oy0 + (e / RV) % ROWS) - 1;
            let ix0 = i32(ox0 + (e % RV) * 4u) - 1;
            var v = vec4<f32>(0.0);
            if (ci < p.cin && iy >= 0 && iy < i32(p.h)) {
                let rb = (n * p.cin + ci) * plane + u32(iy) * p.w;
                for (var j = 0; j < 4; j++) {
                    let ix = ix0 + j;
                    if (ix >= 0 && ix < i32(p.w)) {
                        v[j] = x[rb + u32(ix)];
                    }
                }
            }
            tile[e] = v;
        }
        // Stage the chunk's weights: wt[(c·9 + t)·2 + half].
        for (var e = li; e < W_V4; e += 64u) {
            let ci = c0 + e / 18u;
            let r = e % 18u;
            var v = vec4<f32>(0.0);
            if (ci < p.cin) {
                v = wp[(ci * 9u + r / 2u) * p.cout4 + g + r % 2u];
            }
            wt[e] = v;
        }
        workgroupBarrier();
        for (var c = 0u; c < CT; c++) {
            for (var ky = 0u; ky < 3u; ky++) {
                let s = (c * ROWS + ly + ky) * RV + run * 2u;
                let v0 = tile[s];
                let v1 = tile[s + 1u];
                let v2 = tile[s + 2u];
                let r = array<f32, 10>(v0.x, v0.y, v0.z, v0.w, v1.x, v1.y, v1.z, v1.w, v2.x, v2.y);
                let wb = (c * 9u + ky * 3u) * 2u;
                a = taps(a, r, wt[wb], wt[wb + 2u], wt[wb + 4u]);
                b = taps(b, r, wt[wb + 1u], wt[wb + 3u], wt[wb + 5u]);
            }
        }
        workgroupBarrier();
    }
    let oy = oy0 + ly;
    if (oy < p.h) {
        store8(n, 4u * g, oy, ox0 + run * 8u, a);
        if (4u * g + 4u < p.cout) {
            store8(n, 4u * g + 4u, oy, ox0 + run * 8u, b);
        }
    }
}
