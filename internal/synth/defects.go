package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// scene is a normal image before its pixel noise, with what a defect needs
// to know about it.
type scene struct {
	c *canvas
	// hole is the colour pixel i shows where the surface is missing.
	hole func(i int) rgb
	// site picks where a defect inside the surface goes: its centre, a
	// length that sets its size in pixels, and the (S,S) coverage of the
	// part it is clipped to (nil: the whole image).
	site func(rng *rand.Rand) (at point, scale float32, clip []float32)
	// edge picks where a defect on a part's outline goes (missing, bent):
	// a point on the outline, the outward unit normal there, a size in
	// pixels and the part's coverage. Nil for scenes without parts.
	edge func(rng *rand.Rand) (at, normal point, scale float32, clip []float32)
	// surface is the colour of the part's surface at pixel i, before
	// lighting changes (dent, bent); under is what shows where paint has
	// flaked off (flaked_paint). Nil where a scene has no such defect.
	surface, under func(i int) rgb
	// light is the unit direction, in the image plane, the light comes
	// from; dents are dark on the side facing it.
	light point
}

// defect draws a defect of the given kind on the scene and returns its
// (S,S) weight: how much of each pixel, in [0,1], the defect takes up after
// clipping. The ground-truth mask is the pixels of weight ≥ ½. Every kind
// is a shape with a hard, anti-aliased outline (coverage from the
// rasterizer), so the image changes only where the weight is positive.
func (sc *scene) defect(kind string, rng *rand.Rand) []float32 {
	size := sc.c.size
	uni := uniform(rng)
	var w, a []float32
	clipTo := func(clip []float32) {
		if clip != nil {
			for i := range w {
				w[i] = float32(w[i] * clip[i])
			}
		}
	}
	switch kind {
	case "scratch":
		at, scale, clip := sc.site(rng)
		w = coverage(size, scratchOutline(at, float32(scale*uni(2.5, 4)), max(2, float32(0.016*float32(size))), rng))
		clipTo(clip)
		// Dark on a bright surface, bright on a dark one.
		v := float32(0.95)
		if p := sc.c.at(pixelAt(at, size)); p[0]+p[1]+p[2] > 1.5 {
			v = 0.08
		}
		sc.c.blend(scaled(w, 0.9), func(int) rgb { return rgb{v, v, v} })
	case "hole":
		at, scale, clip := sc.site(rng)
		w = coverage(size, blobOutline(at, float32(scale*uni(0.55, 0.9)), 0.15, rng))
		clipTo(clip)
		sc.c.blend(w, sc.hole)
	case "stain":
		at, scale, clip := sc.site(rng)
		radius := float32(scale * uni(1.1, 1.6))
		w = coverage(size, blobOutline(at, radius, 0.3, rng))
		clipTo(clip)
		// A darker core inside the outline (a second, smaller blob).
		core := coverage(size, blobOutline(at, float32(radius*uni(0.4, 0.7)), 0.3, rng))
		tint := stainColours[rng.IntN(len(stainColours))]
		opacity := uni(0.35, 0.6)
		a = make([]float32, len(w))
		for i := range w {
			a[i] = float32(w[i] * (opacity + float32(0.25*core[i])))
		}
		// The stain dyes the surface: its colour follows the brightness
		// underneath, so the texture shows through.
		sc.c.blend(a, func(i int) rgb {
			p := sc.c.at(i)
			l := 0.5 + (p[0]+p[1]+p[2])/3
			return rgb{float32(l * tint[0]), float32(l * tint[1]), float32(l * tint[2])}
		})
	case "flaked_paint":
		at, scale, clip := sc.site(rng)
		w = coverage(size, jaggedOutline(at, float32(scale*uni(0.6, 1.1)), rng))
		clipTo(clip)
		sc.c.blend(w, sc.under)
	case "dent":
		at, scale, clip := sc.site(rng)
		radius := float32(scale * uni(0.6, 0.9))
		w = coverage(size, blobOutline(at, radius, 0.2, rng))
		clipTo(clip)
		// A shallow bowl: the side facing the light is in shade, the far
		// side catches it; all of it darker than the flat surface.
		sc.c.blend(w, func(i int) rgb {
			s := pixelCentre(i, size).sub(at).dot(sc.light) / radius
			m := 0.5 - float32(0.3*min(max(s, -1), 1))
			return scaledRGB(sc.c.at(i), m)
		})
	case "missing":
		at, normal, scale, clip := sc.edge(rng)
		// A bite out of the outline, its centre just outside the part.
		centre := at.add(normal.scale(float32(scale * uni(0.1, 0.3))))
		w = coverage(size, jaggedOutline(centre, float32(scale*uni(0.8, 1.2)), rng))
		clipTo(clip)
		sc.c.blend(w, sc.hole)
	case "bent":
		at, normal, scale, clip := sc.edge(rng)
		// The band of width d along the outline beyond a fold line is bent
		// up: it tilts (lighter or darker, more so away from the fold) and,
		// foreshortened, leaves its outer quarter showing the background.
		d := float32(scale * uni(0.9, 1.4))
		half := float32(scale * uni(1.5, 2.5))
		t := normal.perp()
		fold := at.sub(normal.scale(d))
		far := at.add(normal.scale(d))
		band := []point{fold.sub(t.scale(half)), fold.add(t.scale(half)), far.add(t.scale(half)), far.sub(t.scale(half))}
		w = coverage(size, band)
		clipTo(clip)
		gain := float32(0.45)
		if rng.IntN(2) == 0 {
			gain = -0.4
		}
		sc.c.blend(w, func(i int) rgb {
			s := min(max(pixelCentre(i, size).sub(fold).dot(normal)/d, 0), 1)
			return scaledRGB(sc.surface(i), 1+float32(gain*(0.5+float32(0.5*s))))
		})
		edge := at.sub(normal.scale(float32(0.25 * d)))
		gone := coverage(size, []point{edge.sub(t.scale(half)), edge.add(t.scale(half)), far.add(t.scale(half)), far.sub(t.scale(half))})
		for i := range gone {
			gone[i] = float32(gone[i] * clip[i])
		}
		sc.c.blend(gone, sc.hole)
	default:
		panic(fmt.Sprintf("synth: unknown defect type %q", kind))
	}
	return w
}

// scaled returns k·w.
func scaled(w []float32, k float32) []float32 {
	a := make([]float32, len(w))
	for i := range w {
		a[i] = float32(k * w[i])
	}
	return a
}

// scaledRGB returns k·c.
func scaledRGB(c rgb, k float32) rgb {
	return rgb{float32(k * c[0]), float32(k * c[1]), float32(k * c[2])}
}

// pixelAt is the index y·S + x of the pixel holding p, clamped to the
// image.
func pixelAt(p point, size int) int {
	x := min(max(int(p.x), 0), size-1)
	y := min(max(int(p.y), 0), size-1)
	return y*size + x
}

// stainColours are the dyes of stains: brown, dark red, olive.
var stainColours = []rgb{{0.45, 0.28, 0.1}, {0.55, 0.12, 0.1}, {0.3, 0.4, 0.12}}

// scratchOutline is the outline of a thin curved stroke of the given length
// and greatest width centred on at: a cubic Bézier curve in a random
// direction, bowed by up to a quarter of its length, tapering to half its
// width at the ends; 24 samples along each side.
func scratchOutline(at point, length, width float32, rng *rand.Rand) []point {
	u := unit(2 * math.Pi * random(rng))
	n := u.perp()
	p0, p3 := at.sub(u.scale(length/2)), at.add(u.scale(length/2))
	p1 := lerpPoint(p0, p3, 1.0/3).add(n.scale(float32(float32(length*float32(random(rng)-0.5)) / 2)))
	p2 := lerpPoint(p0, p3, 2.0/3).add(n.scale(float32(float32(length*float32(random(rng)-0.5)) / 2)))
	const steps = 24
	left := make([]point, 0, 2*(steps+1))
	var right []point
	for j := range steps + 1 {
		t := float32(j) / steps
		s := 1 - t
		ss, tt := float32(s*s), float32(t*t)
		p := p0.scale(float32(ss * s)).add(p1.scale(float32(3 * float32(ss*t)))).add(p2.scale(float32(3 * float32(s*tt)))).add(p3.scale(float32(tt * t)))
		tangent := p1.sub(p0).scale(float32(3 * ss)).add(p2.sub(p1).scale(float32(6 * float32(s*t)))).add(p3.sub(p2).scale(float32(3 * tt)))
		normal := tangent.perp().scale(1 / tangent.len())
		_, sin := cosSin(math.Pi * float64(t))
		half := float32(float32(width/2) * (0.5 + float32(0.5*float32(sin))))
		left = append(left, p.add(normal.scale(half)))
		right = append(right, p.sub(normal.scale(half)))
	}
	for j := len(right) - 1; j >= 0; j-- {
		left = append(left, right[j])
	}
	return left
}

// blobOutline is a closed irregular outline around at of mean radius
// radius: r(θ) = radius·(1 + a₂cos(2θ+φ₂) + a₃cos(3θ+φ₃)), |aₖ| ≤ wobble/2,
// sampled at 40 angles.
func blobOutline(at point, radius, wobble float32, rng *rand.Rand) []point {
	var amp, phase [2]float64
	for k := range 2 {
		amp[k] = float64(float64(wobble) * (random(rng) - 0.5))
		phase[k] = 2 * math.Pi * random(rng)
	}
	const steps = 40
	pts := make([]point, steps)
	for j := range pts {
		th := 2 * math.Pi * float64(j) / steps
		c2, _ := cosSin(float64(2*th) + phase[0])
		c3, _ := cosSin(float64(3*th) + phase[1])
		r := 1 + float64(amp[0]*c2) + float64(amp[1]*c3)
		pts[j] = at.add(unit(th).scale(float32(radius * float32(r))))
	}
	return pts
}

// jaggedOutline is a blob like blobOutline's with wobble 0.4 whose 40
// radii are each also scaled by a random factor in [0.75, 1.1]: the
// ragged edge of flaked paint or a broken piece.
func jaggedOutline(at point, radius float32, rng *rand.Rand) []point {
	pts := blobOutline(at, radius, 0.4, rng)
	for j, p := range pts {
		pts[j] = at.add(p.sub(at).scale(float32(0.75 + float64(0.35*random(rng)))))
	}
	return pts
}
