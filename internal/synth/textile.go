package synth

import (
	"math"
	"math/rand/v2"
)

// textile draws a plain-weave fabric: vertical warp threads and horizontal
// weft threads, each a family of smooth stripes (a raised cosine across the
// thread) at an angle within ±4° of its axis, with a period of 7–9 % of the
// image and a random phase; the cells of the weave alternate between warp on
// top and weft on top. The warp is a blue within a narrow band of hue,
// saturation and brightness, the weft a lighter mix of it with off-white,
// and a gentle linear illumination gradient crosses the image. A hole
// reveals the dark backing behind the fabric.
func textile(size int, rng *rand.Rand) *scene {
	s := float32(size)
	uni := func(lo, hi float64) float64 { return lo + float64((hi-lo)*random(rng)) }
	const tilt = 4 * math.Pi / 180
	n1 := unit(uni(-tilt, tilt))             // across the warp threads
	n2 := unit(math.Pi/2 + uni(-tilt, tilt)) // across the weft threads
	k1 := 2 * math.Pi / float32(s*float32(uni(0.07, 0.09)))
	k2 := 2 * math.Pi / float32(s*float32(uni(0.07, 0.09)))
	ph1, ph2 := float32(uni(0, 2*math.Pi)), float32(uni(0, 2*math.Pi))
	warp := hsv(uni(0.585, 0.615), uni(0.5, 0.6), uni(0.55, 0.65))
	var weft rgb
	for ch := range 3 {
		weft[ch] = float32(0.45*warp[ch]) + 0.55*0.9
	}
	light := unit(uni(0, 2*math.Pi)).scale(float32(uni(0, 0.08)) / s)
	centre := point{float32(s / 2), float32(s / 2)}

	c := newCanvas(size)
	for y := range size {
		for x := range size {
			p := point{float32(x) + 0.5, float32(y) + 0.5}
			a1 := float32(k1*p.dot(n1)) + ph1
			a2 := float32(k2*p.dot(n2)) + ph2
			t1 := 0.5 + float32(0.5*cos32(a1)) // 1 on a warp thread's centre line
			t2 := 0.5 + float32(0.5*cos32(a2))
			// The weave's cells are bounded by the gaps between threads
			// (a = π mod 2π); the sign of q alternates from cell to cell.
			q := float32(cos32(a1/2) * cos32(a2/2))
			over := smoothstep(-0.25, 0.25, q)
			gain := 1 + p.sub(centre).dot(light)
			var col rgb
			for ch := range 3 {
				w := float32(warp[ch] * (0.45 + float32(0.55*t1)))
				f := float32(weft[ch] * (0.45 + float32(0.55*t2)))
				col[ch] = float32(gain * (f + float32(over*(w-f))))
			}
			c.set(y*size+x, col)
		}
	}
	backing := rgb{0.1, 0.09, 0.08}
	return &scene{
		c:    c,
		hole: func(int) rgb { return backing },
		site: func(rng *rand.Rand) (point, float32, []float32) {
			at := point{float32(s * float32(0.2+float64(0.6*random(rng)))), float32(s * float32(0.2+float64(0.6*random(rng))))}
			return at, float32(0.07 * s), nil
		},
	}
}
