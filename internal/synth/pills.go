package synth

import (
	"math"
	"math/rand/v2"
)

// capsule is a stadium: the points within r of the segment of half-length
// half along the unit axis d through the centre c.
type capsule struct {
	c, d    point
	half, r float32
}

// ends returns the capsule's segment end points.
func (k capsule) ends() (point, point) {
	return k.c.sub(k.d.scale(k.half)), k.c.add(k.d.scale(k.half))
}

// outline is the capsule's outline: two straight sides and two
// semicircles of 16 segments each.
func (k capsule) outline() []point {
	const steps = 16
	e0, e1 := k.ends()
	n := k.d.perp()
	pts := make([]point, 0, 2*(steps+1))
	for _, end := range []struct {
		c    point
		sign float32
	}{{e1, 1}, {e0, -1}} {
		for j := range steps + 1 {
			co, si := cosSin(float64(math.Pi * (float64(float64(j)/steps) - 0.5)))
			dir := k.d.scale(float32(end.sign * float32(co))).add(n.scale(float32(end.sign * float32(si))))
			pts = append(pts, end.c.add(dir.scale(k.r)))
		}
	}
	return pts
}

// segmentDistance is the distance from p to the segment ab.
func segmentDistance(p, a, b point) float32 {
	ab := b.sub(a)
	t := min(max(p.sub(a).dot(ab)/ab.dot(ab), 0), 1)
	return p.sub(a.add(ab.scale(t))).len()
}

// apart reports whether capsules k and m are more than gap apart. Their
// segments never cross when they are, so the least distance between them is
// that of an end point of one to the other's segment.
func apart(k, m capsule, gap float32) bool {
	a0, a1 := k.ends()
	b0, b1 := m.ends()
	d := min(segmentDistance(a0, b0, b1), segmentDistance(a1, b0, b1),
		segmentDistance(b0, a0, a1), segmentDistance(b1, a0, a1))
	return d > k.r+m.r+gap && !crosses(a0, a1, b0, b1)
}

// crosses reports whether the segments pq and rs intersect properly.
func crosses(p, q, r, s point) bool {
	side := func(a, b, c point) float32 { return b.sub(a).perp().dot(c.sub(a)) }
	return float32(side(p, q, r)*side(p, q, s)) < 0 && float32(side(r, s, p)*side(r, s, q)) < 0
}

// pills draws three to five two-tone capsules (one half off-white, the
// other an orange within a narrow band of hue) at random positions and
// orientations, apart from each other and inside the image, on a dark
// slate background with a gentle linear gradient. Each capsule is shaded
// as a cylinder seen from above, with a soft highlight along one side.
// Defects land on one capsule and are clipped to it; a hole there reveals
// the background.
func pills(size int, rng *rand.Rand) *scene {
	s := float32(size)
	uni := func(lo, hi float64) float32 { return float32(lo + float64((hi-lo)*random(rng))) }
	bgBase := hsv(0.6, 0.25, float64(uni(0.2, 0.24)))
	slope := unit(float64(uni(0, 2*math.Pi))).scale(uni(0, 0.15) / s)
	centre := point{float32(s / 2), float32(s / 2)}
	bg := func(i int) rgb {
		g := 1 + pixelCentre(i, size).sub(centre).dot(slope)
		return scaledRGB(bgBase, g)
	}
	white := uni(0.88, 0.94)
	shellA := rgb{white, float32(white * 0.99), float32(white * 0.94)}
	shellB := hsv(float64(uni(0.045, 0.065)), 0.75, float64(uni(0.82, 0.9)))

	c := newCanvas(size)
	for i := range size * size {
		c.set(i, bg(i))
	}
	var caps []capsule
	var covers [][]float32
	want := 3 + rng.IntN(3)
	for try := 0; try < 200 && len(caps) < want; try++ {
		r := float32(s * uni(0.06, 0.07))
		k := capsule{d: unit(float64(uni(0, 2*math.Pi))), r: r, half: float32(r * uni(1.1, 1.5))}
		m := k.half + k.r + 2
		k.c = point{uni(float64(m), float64(s-m)), uni(float64(m), float64(s-m))}
		ok := true
		for _, o := range caps {
			ok = ok && apart(k, o, float32(0.03*s))
		}
		if !ok {
			continue
		}
		cover := coverage(size, k.outline())
		c.blend(cover, func(i int) rgb {
			p := pixelCentre(i, size)
			rel := p.sub(k.c)
			t := rel.dot(k.d)
			across := rel.dot(k.d.perp()) / k.r
			e0, e1 := k.ends()
			dist := min(segmentDistance(p, e0, e1)/k.r, 1)
			shade := 0.7 + float32(0.3*sqrt32(1-float32(dist*dist)))
			// A soft highlight band along the side at 0.45 r from the axis.
			glint := float32(float32(0.12*smoothstep(0.35, 0, float32(math.Abs(float64(across-0.45))))) *
				smoothstep(k.half+float32(0.5*k.r), k.half, float32(math.Abs(float64(t)))))
			mix := smoothstep(-0.5, 0.5, t)
			var col rgb
			for ch := range 3 {
				col[ch] = float32(shade*(shellA[ch]+float32(mix*(shellB[ch]-shellA[ch])))) + glint
			}
			return col
		})
		caps = append(caps, k)
		covers = append(covers, cover)
	}
	return &scene{
		c:    c,
		hole: bg,
		site: func(rng *rand.Rand) (point, float32, []float32) {
			j := rng.IntN(len(caps))
			k := caps[j]
			at := k.c.add(k.d.scale(float32(k.half * float32(float64(2*random(rng))-1))))
			return at, k.r, covers[j]
		},
	}
}
