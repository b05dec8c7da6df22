package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// pasteKinds are the defects Paste draws on an existing image, sorted.
var pasteKinds = []string{"blob", "patch", "scratch"}

// PasteKinds returns the kinds of defect Paste draws, sorted:
//
//	blob     an irregular filled blob of a foreign colour (opacity 0.6–1)
//	patch    an irregular region whose content is taken from elsewhere in a
//	         donor image (or the image itself), rotated by a multiple of 90°
//	scratch  a thin curved stroke, dark on a bright spot, bright on a dark one
func PasteKinds() []string { return slices.Clone(pasteKinds) }

// Paste draws a synthetic defect of the given kind onto img, a (3,S,S) CHW
// image with channels in [0,1] (size = S), in place, and returns its (S,S)
// weight: the fraction of each pixel, in [0,1], that the defect takes up
// (a ground-truth mask is the pixels of weight ≥ ½). It needs no knowledge
// of the scene, so it turns any normal image into an anomalous one, as a
// stand-in for real defects where none are at hand (train -lambda auto).
//
// The defect's centre lies in the middle 80 % of the image and its size
// scales with S (a blob's radius 4–9 % of S, a scratch's length 15–30 %).
// A patch takes its content from donor ((3,S,S) like img; nil: img
// itself), from a random place at least a patch's diameter away. The
// result depends only on the inputs and rng's numbers, with the package's
// arithmetic rules (detmath.go), so it is the same on every architecture.
func Paste(img []float32, size int, kind string, donor []float32, rng *rand.Rand) ([]float32, error) {
	if size < 8 || len(img) != 3*size*size {
		return nil, fmt.Errorf("synth: paste: image of %d values, want 3×%d×%d (size at least 8)", len(img), size, size)
	}
	if donor != nil && len(donor) != len(img) {
		return nil, fmt.Errorf("synth: paste: donor of %d values, want %d", len(donor), len(img))
	}
	s := float32(size)
	uni := func(lo, hi float64) float32 { return float32(lo + float64((hi-lo)*rng.Float64())) }
	at := point{float32(s * uni(0.1, 0.9)), float32(s * uni(0.1, 0.9))}
	c := &canvas{size: size, pix: img}
	var w []float32
	var col func(i int) rgb
	var opacity float32
	switch kind {
	case "scratch":
		w = coverage(size, scratchOutline(at, float32(s*uni(0.15, 0.3)), max(1.5, float32(0.015*s)), rng))
		v := float32(0.95)
		if local := meanUnder(c, w); local[0]+local[1]+local[2] > 1.5 {
			v = 0.08
		}
		col = func(int) rgb { return rgb{v, v, v} }
		opacity = uni(0.7, 0.95)
	case "blob":
		w = coverage(size, blobOutline(at, float32(s*uni(0.04, 0.09)), 0.3, rng))
		// A hue at random, with a brightness far from the surface's.
		local := meanUnder(c, w)
		lum := (local[0] + local[1] + local[2]) / 3
		val := float64(uni(0.75, 0.95))
		if lum > 0.5 {
			val = float64(uni(0.05, 0.3))
		}
		foreign := hsv(rng.Float64(), float64(uni(0.3, 0.8)), val)
		col = func(int) rgb { return foreign }
		opacity = uni(0.6, 1)
	case "patch":
		radius := float32(s * uni(0.05, 0.1))
		w = coverage(size, blobOutline(at, radius, 0.3, rng))
		src := donor
		if src == nil {
			src = slices.Clone(img)
		}
		// The source centre: in the image, and (in the image itself) at
		// least a diameter away from the patch, so that the content moves.
		var from point
		for range 64 {
			from = point{float32(s * uni(0.15, 0.85)), float32(s * uni(0.15, 0.85))}
			if donor != nil || from.sub(at).len() > float32(2*radius) {
				break
			}
		}
		turns := rng.IntN(3) + 1 // quarter turns: never the same orientation
		srcCanvas := &canvas{size: size, pix: src}
		col = func(i int) rgb {
			d := point{float32(i%size) + 0.5, float32(i/size) + 0.5}.sub(at)
			for range turns {
				d = d.perp()
			}
			return srcCanvas.at(pixelAt(from.add(d), size))
		}
		opacity = 1
	default:
		return nil, fmt.Errorf("synth: paste: unknown defect kind %q: known kinds are %v", kind, pasteKinds)
	}
	a := make([]float32, len(w))
	for i := range w {
		a[i] = float32(opacity * w[i])
	}
	c.blend(a, col)
	return w, nil
}

// meanUnder is c's mean colour weighted by w ((S,S)); the colour of the
// image's centre pixel when w is all zero.
func meanUnder(c *canvas, w []float32) rgb {
	var sum [3]float64
	var total float64
	for i, v := range w {
		if v == 0 {
			continue
		}
		p := c.at(i)
		for ch := range 3 {
			sum[ch] += float64(float64(v) * float64(p[ch]))
		}
		total += float64(v)
	}
	if total == 0 {
		return c.at(c.size/2*c.size + c.size/2)
	}
	var m rgb
	for ch := range 3 {
		m[ch] = float32(sum[ch] / total)
	}
	return m
}
