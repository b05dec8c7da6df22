package synth

import (
	"math"
	"math/rand/v2"
)

// What the metal-part categories (bracket, connector, metal_plate, tubes)
// share: lighting, backgrounds with soft shadows, surface textures, and a
// scene that knows where its parts are.

// uniform returns a function drawing uniformly from [lo, hi) with rng.
func uniform(rng *rand.Rand) func(lo, hi float64) float32 {
	return func(lo, hi float64) float32 { return float32(lo + float64((hi-lo)*random(rng))) }
}

// lighting is a scene's illumination: the direction the light comes from,
// in the image plane, and an (S,S) gain on every colour: a linear gradient
// rising towards the light (by 10–30 % across the image) times a vignette
// falling off as the square of the distance from a centre near the
// image's (by 25–45 % at distance S/2).
type lighting struct {
	from point
	gain []float32
}

// newLighting draws a scene's lighting.
func newLighting(size int, rng *rand.Rand) lighting {
	uni := uniform(rng)
	s := float32(size)
	from := unit(2 * math.Pi * random(rng))
	slope := from.scale(uni(0.1, 0.3) / s)
	vignette := uni(0.25, 0.45)
	centre := point{float32(s * uni(0.4, 0.6)), float32(s * uni(0.4, 0.6))}
	r2 := float32(float32(s/2) * float32(s/2))
	gain := make([]float32, size*size)
	for i := range gain {
		d := pixelCentre(i, size).sub(centre)
		g := 1 + d.dot(slope)
		v := max(1-float32(vignette*(d.dot(d)/r2)), 0.3)
		gain[i] = float32(g * v)
	}
	return lighting{from: from, gain: gain}
}

// valueNoise is smooth random (S,S) noise in [−1, 1]: independent uniform
// values on a square grid of the given cell size in pixels, interpolated
// with smoothstep weights.
func valueNoise(size int, cell float32, rng *rand.Rand) []float32 {
	n := int(float32(size)/cell) + 2
	grid := make([]float32, n*n)
	for i := range grid {
		grid[i] = float32(float64(2*random(rng)) - 1)
	}
	out := make([]float32, size*size)
	for i := range out {
		p := pixelCentre(i, size).scale(1 / cell)
		x, y := int(p.x), int(p.y)
		tx := smoothstep(0, 1, p.x-float32(x))
		ty := smoothstep(0, 1, p.y-float32(y))
		top := lerp32(grid[y*n+x], grid[y*n+x+1], tx)
		bottom := lerp32(grid[(y+1)*n+x], grid[(y+1)*n+x+1], tx)
		out[i] = lerp32(top, bottom, ty)
	}
	return out
}

// brushed is the (S,S) texture of brushed metal, in about [−1, 1]:
// streaks along the unit direction u, a random value every pixel across
// them (linearly interpolated) whose strength changes slowly along them,
// over a coarser random profile every 5 pixels across.
func brushed(size int, u point, rng *rand.Rand) []float32 {
	n := 2*size + 4
	fine, coarse, along := make([]float32, n), make([]float32, n/5+2), make([]float32, n/9+2)
	for _, t := range [][]float32{fine, coarse, along} {
		for i := range t {
			t[i] = float32(float64(2*random(rng)) - 1)
		}
	}
	lookup := func(t []float32, x, step float32) float32 {
		x /= step
		k := int(x)
		return lerp32(t[k], t[k+1], x-float32(k))
	}
	v := u.perp()
	half := float32(size)
	out := make([]float32, size*size)
	for i := range out {
		p := pixelCentre(i, size).sub(point{float32(half / 2), float32(half / 2)})
		across := p.dot(v) + half // in [0, 2S) for p in the image
		a := p.dot(u) + half
		strength := 0.6 + float32(0.4*lookup(along, a, 9))
		out[i] = float32(0.65*float32(strength*lookup(fine, across, 1))) + float32(0.35*lookup(coarse, across, 5))
	}
	return out
}

// boxBlur blurs the (S,S) map m in place with a (2r+1)² box, twice (close
// to a Gaussian of standard deviation about 0.8·r), treating the outside
// of the image as 0.
func boxBlur(m []float32, size, r int) {
	tmp := make([]float32, len(m))
	pass := func(src, dst []float32, stride, step int) {
		// Blurs each line of size values src[o + k·step], o = j·stride.
		for j := range size {
			o := j * stride
			var sum float32
			for k := range min(r, size) {
				sum += src[o+k*step]
			}
			for k := range size {
				if k+r < size {
					sum += src[o+(k+r)*step]
				}
				if k-r-1 >= 0 {
					sum -= src[o+(k-r-1)*step]
				}
				dst[o+k*step] = sum / float32(2*r+1)
			}
		}
	}
	for range 2 {
		pass(m, tmp, size, 1)
		pass(tmp, m, 1, size)
	}
}

// part is one object of a scene: its outer outlines (for defects on the
// edge), its (S,S) coverage, and the defect-free interior pixels with a
// margin, where defects inside go.
type part struct {
	outlines [][]point
	cover    []float32
	interior []int
}

// newPart returns the part bounded by outlines with the holes holes
// (traced in either direction), finding its interior pixels: those whose
// centre and the four points margin pixels away along the axes are fully
// covered (or, if there are none, any fully covered pixel, or on a tiny
// image the most covered pixel).
func newPart(size int, margin float32, outlines, holes [][]point) *part {
	cover := coverage(size, outlines...)
	if len(holes) > 0 {
		cut := coverage(size, holes...)
		for i := range cover {
			cover[i] = float32(cover[i] * (1 - cut[i]))
		}
	}
	k := &part{outlines: outlines, cover: cover}
	full := func(p point) bool {
		return p.x >= 0 && p.y >= 0 && p.x < float32(size) && p.y < float32(size) && cover[pixelAt(p, size)] == 1
	}
	for _, m := range []float32{margin, 0} {
		for i := range cover {
			p := pixelCentre(i, size)
			if full(p) && full(p.add(point{m, 0})) && full(p.sub(point{m, 0})) && full(p.add(point{0, m})) && full(p.sub(point{0, m})) {
				k.interior = append(k.interior, i)
			}
		}
		if len(k.interior) > 0 {
			return k
		}
	}
	k.interior = []int{0}
	for i, v := range cover {
		if v > cover[k.interior[0]] {
			k.interior[0] = i
		}
	}
	return k
}

// partScene assembles a scene of parts: background is the (lit, shadowed)
// background, defects are scale pixels across; a defect goes on one of the
// parts, chosen uniformly.
func partScene(c *canvas, background []rgb, parts []*part, scale float32, light point) *scene {
	size := c.size
	return &scene{
		c:     c,
		hole:  func(i int) rgb { return background[i] },
		light: light,
		site: func(rng *rand.Rand) (point, float32, []float32) {
			k := parts[rng.IntN(len(parts))]
			i := k.interior[rng.IntN(len(k.interior))]
			return pixelCentre(i, size), scale, k.cover
		},
		edge: func(rng *rand.Rand) (point, point, float32, []float32) {
			k := parts[rng.IntN(len(parts))]
			pts := k.outlines[rng.IntN(len(k.outlines))]
			var total float32
			for j := range pts {
				total += pts[(j+1)%len(pts)].sub(pts[j]).len()
			}
			// A point uniform along the outline, away from the image
			// border.
			for try := 0; ; try++ {
				t := float32(float32(random(rng)) * total)
				for j := range pts {
					a, b := pts[j], pts[(j+1)%len(pts)]
					l := b.sub(a).len()
					if t > l && j < len(pts)-1 {
						t -= l
						continue
					}
					at := lerpPoint(a, b, min(t/l, 1))
					n := b.sub(a).perp().scale(1 / l)
					// Outward: the part covers less on that side.
					if k.cover[pixelAt(at.add(n.scale(2)), size)] > k.cover[pixelAt(at.sub(n.scale(2)), size)] {
						n = n.scale(-1)
					}
					inside := at.x > scale && at.y > scale && at.x < float32(size)-scale && at.y < float32(size)-scale
					if inside || try >= 100 {
						return at, n, scale, k.cover
					}
					break
				}
			}
		},
	}
}

// backdrop fills c with the background colour base under the lighting,
// mottled by ±mottle with value noise of the given cell size, and darkened
// by up to shade under the soft shadow of the parts' outlines cast away
// from the light (offset by 2.5 % of the image, blurred over about 2 %).
// It returns the background's colours.
func backdrop(c *canvas, base rgb, mottle, cell, shade float32, light lighting, outlines [][]point, rng *rand.Rand) []rgb {
	size := c.size
	s := float32(size)
	offset := light.from.scale(float32(-0.025 * s))
	var moved [][]point
	for _, pts := range outlines {
		m := make([]point, len(pts))
		for j, p := range pts {
			m[j] = p.add(offset)
		}
		moved = append(moved, m)
	}
	shadow := coverage(size, moved...)
	boxBlur(shadow, size, max(1, int(0.02*s)))
	noise := valueNoise(size, cell, rng)
	bg := make([]rgb, size*size)
	for i := range bg {
		k := float32(light.gain[i]*(1+float32(mottle*noise[i]))) * (1 - float32(shade*shadow[i]))
		bg[i] = scaledRGB(base, k)
		c.set(i, bg[i])
	}
	return bg
}

// rotated maps local part coordinates (along u, across u) to the image:
// centre + x·u + y·u⊥.
func rotated(centre, u point, pts ...point) []point {
	out := make([]point, len(pts))
	for j, p := range pts {
		out[j] = centre.add(u.scale(p.x)).add(u.perp().scale(p.y))
	}
	return out
}

// roundedRect is the outline of the rectangle of half-sizes a (along u) by
// b centred on centre, its corners rounded with radius r (6 segments each).
func roundedRect(centre, u point, a, b, r float32) []point {
	var pts []point
	corners := []point{{a - r, b - r}, {-(a - r), b - r}, {-(a - r), -(b - r)}, {a - r, -(b - r)}}
	for q, c := range corners {
		for j := range 7 {
			co, si := cosSin(float64(math.Pi/2*float64(q)) + float64(math.Pi/2*float64(j))/6)
			pts = append(pts, point{c.x + float32(r*float32(co)), c.y + float32(r*float32(si))})
		}
	}
	return rotated(centre, u, pts...)
}

// steel is the colour of bare steel.
var steel = rgb{0.62, 0.63, 0.65}
