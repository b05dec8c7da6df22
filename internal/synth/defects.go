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
	// site picks where a defect goes: its centre, a length that sets its
	// size in pixels, and the (S,S) coverage of the part it is clipped to
	// (nil: the whole image).
	site func(rng *rand.Rand) (at point, scale float32, clip []float32)
}

// defectTypes are the kinds of defect, sorted; each is a test folder.
var defectTypes = []string{"hole", "scratch", "stain"}

// DefectTypes returns the names of the defect types (and their test and
// ground-truth folders), sorted.
func DefectTypes() []string { return append([]string(nil), defectTypes...) }

// defect draws a defect of the given kind on the scene and returns its
// (S,S) weight: how much of each pixel, in [0,1], the defect takes up after
// clipping. The ground-truth mask is the pixels of weight ≥ ½.
func (sc *scene) defect(kind string, rng *rand.Rand) []float32 {
	size := sc.c.size
	at, scale, clip := sc.site(rng)
	uni := func(lo, hi float64) float32 { return float32(lo + (hi-lo)*rng.Float64()) }
	var w []float32
	var col func(i int) rgb
	var opacity float32
	switch kind {
	case "scratch":
		w = coverage(size, polygon(scratchOutline(at, scale*uni(2.5, 4), max(1.5, 0.015*float32(size)), rng)))
		// Dark on a bright surface, bright on a dark one.
		v := float32(0.95)
		if p := sc.c.at(pixelAt(at, size)); p[0]+p[1]+p[2] > 1.5 {
			v = 0.08
		}
		col = func(int) rgb { return rgb{v, v, v} }
		opacity = 0.9
	case "hole":
		w = coverage(size, polygon(blobOutline(at, scale*uni(0.55, 0.9), rng)))
		col, opacity = sc.hole, 1
	case "stain":
		w = stainWeight(size, at, scale*uni(1.2, 1.8), rng)
		tint := stainColours[rng.IntN(len(stainColours))]
		// The stain dyes the surface: its colour follows the brightness
		// underneath, so the texture shows through.
		col = func(i int) rgb {
			p := sc.c.at(i)
			l := 0.5 + (p[0]+p[1]+p[2])/3
			return rgb{l * tint[0], l * tint[1], l * tint[2]}
		}
		opacity = uni(0.55, 0.8)
	default:
		panic(fmt.Sprintf("synth: unknown defect type %q", kind))
	}
	if clip != nil {
		for i := range w {
			w[i] *= clip[i]
		}
	}
	a := make([]float32, len(w))
	for i := range w {
		a[i] = opacity * w[i]
	}
	sc.c.blend(a, col)
	return w
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
// direction, bowed by up to a quarter of its length, tapering to a third of
// its width at the ends; 24 samples along each side.
func scratchOutline(at point, length, width float32, rng *rand.Rand) []point {
	u := unit(2 * math.Pi * rng.Float64())
	n := u.perp()
	p0, p3 := at.sub(u.scale(length/2)), at.add(u.scale(length/2))
	p1 := lerpPoint(p0, p3, 1.0/3).add(n.scale(length * float32(rng.Float64()-0.5) / 2))
	p2 := lerpPoint(p0, p3, 2.0/3).add(n.scale(length * float32(rng.Float64()-0.5) / 2))
	const steps = 24
	left := make([]point, 0, 2*(steps+1))
	var right []point
	for j := range steps + 1 {
		t := float32(j) / steps
		s := 1 - t
		p := p0.scale(s * s * s).add(p1.scale(3 * s * s * t)).add(p2.scale(3 * s * t * t)).add(p3.scale(t * t * t))
		tangent := p1.sub(p0).scale(3 * s * s).add(p2.sub(p1).scale(6 * s * t)).add(p3.sub(p2).scale(3 * t * t))
		normal := tangent.perp().scale(1 / tangent.len())
		half := width / 2 * (1.0/3 + 2.0/3*float32(math.Sin(math.Pi*float64(t))))
		left = append(left, p.add(normal.scale(half)))
		right = append(right, p.sub(normal.scale(half)))
	}
	for j := len(right) - 1; j >= 0; j-- {
		left = append(left, right[j])
	}
	return left
}

// blobOutline is a closed irregular outline around at of mean radius
// radius: r(θ) = radius·(1 + a₂cos(2θ+φ₂) + a₃cos(3θ+φ₃)), |aₖ| ≤ 0.15,
// sampled at 40 angles.
func blobOutline(at point, radius float32, rng *rand.Rand) []point {
	var amp, phase [2]float64
	for k := range 2 {
		amp[k] = 0.3 * (rng.Float64() - 0.5)
		phase[k] = 2 * math.Pi * rng.Float64()
	}
	const steps = 40
	pts := make([]point, steps)
	for j := range pts {
		th := 2 * math.Pi * float64(j) / steps
		r := 1 + amp[0]*math.Cos(2*th+phase[0]) + amp[1]*math.Cos(3*th+phase[1])
		pts[j] = at.add(unit(th).scale(radius * float32(r)))
	}
	return pts
}

// stainWeight is the (S,S) weight of a soft stain around at: an ellipse of
// semi-axes radius·[0.8,1.25] and radius·[0.6,1] at a random angle, its
// radius perturbed by up to ±15 % with the angle; the weight is 1 out to
// half the (perturbed) elliptic radius and falls smoothly to 0 at its rim.
func stainWeight(size int, at point, radius float32, rng *rand.Rand) []float32 {
	ax := radius * float32(0.8+0.45*rng.Float64())
	ay := radius * float32(0.6+0.4*rng.Float64())
	u := unit(math.Pi * rng.Float64())
	amp, phase := 0.15*rng.Float64(), 2*math.Pi*rng.Float64()
	w := make([]float32, size*size)
	for i := range w {
		rel := point{float32(i%size) + 0.5, float32(i/size) + 0.5}.sub(at)
		x, y := rel.dot(u)/ax, rel.dot(u.perp())/ay
		th := math.Atan2(float64(y), float64(x))
		rho := float32(math.Hypot(float64(x), float64(y)) / (1 + amp*math.Cos(3*th+phase)))
		w[i] = smoothstep(1, 0.5, rho)
	}
	return w
}
