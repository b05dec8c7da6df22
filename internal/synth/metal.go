package synth

import (
	"math"
	"math/rand/v2"
)

// placed returns a random unit direction and a centre at which a shape of
// bounding radius r (around its centre) lies inside the size×size image
// with 2 pixels to spare.
func placed(size int, r float32, rng *rand.Rand) (centre, u point) {
	uni := uniform(rng)
	u = unit(2 * math.Pi * random(rng))
	lo, hi := float64(r+2), float64(float32(size)-r-2)
	if lo > hi {
		lo, hi = float64(size)/2, float64(size)/2
	}
	return point{uni(lo, hi), uni(lo, hi)}, u
}

// bracket draws one painted sheet-metal angle bracket seen from above, at a
// random position and orientation, on a light, mottled table: a plate with
// chamfered corners and two mounting holes, and along one long side the
// bent-up flange, seen foreshortened and in shade. The paint is a dark
// red-brown with a slight orange-peel texture and a broad sheen band
// across it; under it is bare steel, which flaked paint reveals.
func bracket(size int, rng *rand.Rand) *scene {
	uni := uniform(rng)
	s := float32(size)
	light := newLighting(size, rng)
	half := float32(s * uni(0.25, 0.3))    // half the length
	width := float32(s * uni(0.2, 0.24))   // of the flat plate
	flange := float32(s * uni(0.06, 0.08)) // the bent-up side, foreshortened
	cut := float32(0.04 * s)
	top, bottom := float32(-width/2), float32(width/2)+flange
	reach := sqrt32(float32(half*half) + float32(bottom*bottom))
	centre, u := placed(size, reach, rng)
	outline := rotated(centre, u,
		point{-half + cut, top}, point{half - cut, top}, point{half, top + cut},
		point{half, bottom}, point{-half, bottom}, point{-half, top + cut})
	holeR := float32(s * uni(0.03, 0.04))
	holeAt := float32(half * uni(0.5, 0.6))
	holes := [][]point{
		ellipse(rotated(centre, u, point{-holeAt, 0})[0], u, holeR, holeR, 24),
		ellipse(rotated(centre, u, point{holeAt, 0})[0], u, holeR, holeR, 24),
	}
	k := newPart(size, float32(0.05*s), [][]point{outline}, holes)
	// The flange: the part beyond the crease at y = width/2.
	face := coverage(size, rotated(centre, u, point{-half - 2, width / 2}, point{half + 2, width / 2}, point{half + 2, bottom + 2}, point{-half - 2, bottom + 2}))

	c := newCanvas(size)
	bg := backdrop(c, hsv(0.08, 0.08, float64(uni(0.6, 0.68))), 0.05, float32(0.2*s), 0.45, light, [][]point{outline}, rng)
	paint := hsv(float64(uni(0.02, 0.04)), float64(uni(0.55, 0.65)), float64(uni(0.3, 0.36)))
	peel := valueNoise(size, float32(0.03*s), rng)
	metal := brushed(size, u, rng)
	sheenAt, sheenWidth := float32(half*uni(-0.6, 0.6)), float32(s*uni(0.08, 0.14))
	surface := func(i int) rgb {
		p := pixelCentre(i, size).sub(centre)
		along := p.dot(u)
		sheen := float32(0.35 * smoothstep(sheenWidth, 0, float32(math.Abs(float64(along-sheenAt)))))
		g := float32(light.gain[i] * (1 + float32(0.05*peel[i])))
		g = float32(g * (1 - float32(0.4*face[i]))) // the flange faces away
		col := scaledRGB(paint, float32(g*(1+sheen)))
		return col
	}
	under := func(i int) rgb {
		return scaledRGB(steel, float32(light.gain[i]*(1+float32(0.12*metal[i]))))
	}
	c.blend(k.cover, surface)
	sc := partScene(c, bg, []*part{k}, float32(0.05*s), light.from)
	sc.surface, sc.under = surface, under
	return sc
}

// connector draws one zinc-plated link seen from above, at a random
// position and orientation, on dark blue-grey cloth: a flat bar with round
// ends and a hole in each, and a raised rectangular boss in the middle with
// a dark bevel. The plating is a bluish silver with a broad highlight and
// a faint yellow iridescence that varies across the part.
func connector(size int, rng *rand.Rand) *scene {
	uni := uniform(rng)
	s := float32(size)
	light := newLighting(size, rng)
	r := float32(s * uni(0.1, 0.12))
	link := capsule{r: r, half: float32(s * uni(0.2, 0.24))}
	link.c, link.d = placed(size, link.half+r, rng)
	e0, e1 := link.ends()
	holeR := float32(r * uni(0.38, 0.48))
	holes := [][]point{ellipse(e0, link.d, holeR, holeR, 24), ellipse(e1, link.d, holeR, holeR, 24)}
	outline := link.outline()
	k := newPart(size, float32(0.04*s), [][]point{outline}, holes)
	bossA, bossB := float32(link.half*uni(0.4, 0.5)), float32(r*uni(0.65, 0.8))
	boss := coverage(size, roundedRect(link.c, link.d, bossA, bossB, float32(0.2*bossB)))
	bevel := float32(max(1.2, float32(0.012*s)))
	top := coverage(size, roundedRect(link.c, link.d, bossA-bevel, bossB-bevel, float32(0.2*bossB)))

	c := newCanvas(size)
	bg := backdrop(c, hsv(0.62, 0.3, float64(uni(0.22, 0.27))), 0.12, float32(0.04*s), 0.5, light, [][]point{outline}, rng)
	zinc := hsv(0.58, 0.07, float64(uni(0.74, 0.8)))
	yellow := hsv(0.13, 0.3, 0.8)
	iris := valueNoise(size, float32(0.12*s), rng)
	glow := link.c.add(light.from.scale(float32(0.5 * r)))
	surface := func(i int) rgb {
		p := pixelCentre(i, size)
		d := p.sub(glow).len() / (link.half + r)
		g := float32(light.gain[i] * (0.8 + float32(0.35*smoothstep(1, 0, d))))
		// The boss's bevel is in shade, its top a little brighter.
		g = float32(g * (1 + float32(0.12*top[i]) - float32(0.35*(boss[i]-top[i]))))
		col := zinc
		for ch := range 3 {
			col[ch] = lerp32(col[ch], yellow[ch], float32(0.25*max(iris[i], 0)))
		}
		return scaledRGB(col, g)
	}
	c.blend(k.cover, surface)
	sc := partScene(c, bg, []*part{k}, float32(0.045*s), light.from)
	sc.surface = surface
	return sc
}

// metalPlate draws one brushed-steel plate seen from above, at a random
// position and orientation, on a grey-green mat: a rectangle with rounded
// corners and a hole near each corner, brushed along its length, with a
// bright specular band across the brushing (brushed metal stretches a
// highlight across its grain) and a darker band beside it.
func metalPlate(size int, rng *rand.Rand) *scene {
	uni := uniform(rng)
	s := float32(size)
	light := newLighting(size, rng)
	a, b := float32(s*uni(0.28, 0.32)), float32(s*uni(0.18, 0.21))
	centre, u := placed(size, sqrt32(float32(a*a)+float32(b*b)), rng)
	outline := roundedRect(centre, u, a, b, float32(0.04*s))
	holeR, inset := float32(s*uni(0.025, 0.032)), float32(0.07*s)
	var holes [][]point
	for _, q := range []point{{1, 1}, {-1, 1}, {-1, -1}, {1, -1}} {
		at := rotated(centre, u, point{float32(q.x * (a - inset)), float32(q.y * (b - inset))})[0]
		holes = append(holes, ellipse(at, u, holeR, holeR, 24))
	}
	k := newPart(size, float32(0.06*s), [][]point{outline}, holes)

	c := newCanvas(size)
	bg := backdrop(c, hsv(0.3, 0.12, float64(uni(0.36, 0.42))), 0.06, float32(0.15*s), 0.5, light, [][]point{outline}, rng)
	grain := brushed(size, u, rng)
	bandAt, bandWidth := float32(a*uni(-0.6, 0.6)), float32(a*uni(0.2, 0.35))
	side := float32(1)
	if rng.IntN(2) == 0 {
		side = -1
	}
	surface := func(i int) rgb {
		along := pixelCentre(i, size).sub(centre).dot(u)
		band := smoothstep(bandWidth, 0, float32(math.Abs(float64(along-bandAt))))
		dark := smoothstep(bandWidth, 0, float32(math.Abs(float64(along-bandAt-float32(side*float32(1.6*bandWidth))))))
		g := float32(light.gain[i] * (0.85 + float32(0.1*grain[i]) + float32(0.4*band) - float32(0.25*dark)))
		return scaledRGB(steel, g)
	}
	c.blend(k.cover, surface)
	sc := partScene(c, bg, []*part{k}, float32(0.06*s), light.from)
	sc.surface = surface
	return sc
}

// tubes draws three to six straight steel tubes seen from above, at random
// positions and orientations, apart from each other and inside the image,
// on a dark slate mat. Each is shaded as a cylinder lit from the
// side the light comes from, with a bright specular line along it, a dark
// reflection on the far side, and drawing marks along its length.
func tubes(size int, rng *rand.Rand) *scene {
	uni := uniform(rng)
	s := float32(size)
	light := newLighting(size, rng)
	var sticks []capsule
	want := 3 + rng.IntN(4)
	for try := 0; try < 300 && len(sticks) < want; try++ {
		r := float32(s * uni(0.032, 0.042))
		k := capsule{d: unit(2 * math.Pi * random(rng)), r: r, half: float32(s * uni(0.16, 0.24))}
		m := k.half + k.r + 2
		k.c = point{uni(float64(m), float64(s-m)), uni(float64(m), float64(s-m))}
		ok := true
		for _, o := range sticks {
			ok = ok && apart(k, o, float32(0.03*s))
		}
		if ok {
			sticks = append(sticks, k)
		}
	}
	var parts []*part
	var outlines [][]point
	for _, k := range sticks {
		// Flat ends: the rectangle around the segment.
		o := roundedRect(k.c, k.d, k.half+k.r, k.r, float32(0.15*k.r))
		outlines = append(outlines, o)
		parts = append(parts, newPart(size, float32(0.5*k.r), [][]point{o}, nil))
	}

	c := newCanvas(size)
	bg := backdrop(c, hsv(0.6, 0.12, float64(uni(0.24, 0.3))), 0.06, float32(0.1*s), 0.5, light, outlines, rng)
	for j, k := range sticks {
		n := k.d.perp()
		// The highlight is on the side facing the light.
		lit := float32(-0.4)
		if n.dot(light.from) > 0 {
			lit = 0.4
		}
		grain := brushed(size, k.d, rng)
		c.blend(parts[j].cover, func(i int) rgb {
			rel := pixelCentre(i, size).sub(k.c)
			across := min(max(rel.dot(n)/k.r, -1), 1)
			shade := 0.4 + float32(0.45*sqrt32(1-float32(across*across)))
			spec := float32(0.55 * smoothstep(0.25, 0, float32(math.Abs(float64(across-lit)))))
			dark := float32(0.25 * smoothstep(0.25, 0, float32(math.Abs(float64(across+float32(1.2*lit))))))
			g := float32(light.gain[i] * (shade + spec - dark + float32(0.06*grain[i])))
			return scaledRGB(steel, g)
		})
	}
	return partScene(c, bg, parts, float32(1.2*sticks[0].r), light.from)
}
