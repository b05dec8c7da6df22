package imageio

import (
	"fmt"
	"image"
)

// knot is one point (t, value) of a piecewise-linear colormap channel.
type knot struct{ t, v float64 }

// jetKnots are matplotlib's "jet" segment data (_jet_data in
// matplotlib/_cm.py) for red, green and blue: blue (0,0,0.5) at 0, through
// cyan, green (0.48,1,0.48) at 0.5 and yellow, to dark red (0.5,0,0) at 1.
var jetKnots = [3][]knot{
	{{0, 0}, {0.35, 0}, {0.66, 1}, {0.89, 1}, {1, 0.5}},
	{{0, 0}, {0.125, 0}, {0.375, 1}, {0.64, 1}, {0.91, 0}, {1, 0}},
	{{0, 0.5}, {0.11, 1}, {0.34, 1}, {0.65, 0}, {1, 0}},
}

// Jet returns the JET colour of t in [0,1] (clamped) as red, green, blue in
// [0,1], interpolated linearly between the knots (matplotlib samples the same
// segments into a 256-entry table).
func Jet(t float64) (r, g, b float64) {
	t = min(max(t, 0), 1)
	var c [3]float64
	for ch, ks := range jetKnots {
		for i := 1; i < len(ks); i++ {
			if t <= ks[i].t {
				a, z := ks[i-1], ks[i]
				c[ch] = a.v + (z.v-a.v)*(t-a.t)/(z.t-a.t)
				break
			}
		}
	}
	return c[0], c[1], c[2]
}

// Heatmap draws the anomaly map amap (size×size, row-major) over base: each
// value is normalised to t = (m − lo)/(hi − lo), clamped to [0,1] (t = 0
// everywhere when hi ≤ lo, and for NaN), coloured with Jet, and blended as
// (1 − alpha)·base + alpha·jet over base resized to size×size as ToTensor
// resizes it. The result is opaque. It panics if len(amap) is not size·size.
func Heatmap(base image.Image, amap []float32, size int, lo, hi float32, alpha float64) *image.NRGBA {
	if len(amap) != size*size {
		panic(fmt.Sprintf("imageio: Heatmap of a %d-value map, want %d×%d", len(amap), size, size))
	}
	rgb := opaqueRGB(base, size)
	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			i := y*size + x
			var t float64
			if hi > lo {
				t = float64(clamp01((amap[i] - lo) / (hi - lo)))
			}
			jr, jg, jb := Jet(t)
			c := rgb.RGBA64At(x, y)
			p := out.Pix[4*i : 4*i+4]
			p[0] = blend8(c.R, jr, alpha)
			p[1] = blend8(c.G, jg, alpha)
			p[2] = blend8(c.B, jb, alpha)
			p[3] = 0xff
		}
	}
	return out
}

// blend8 mixes a 16-bit base channel with a colour in [0,1] and rounds to 8 bits.
func blend8(base uint16, c, alpha float64) uint8 {
	return to8(float32((1-alpha)*float64(base)/0xffff + alpha*c))
}
