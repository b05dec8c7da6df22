package synth

import (
	"image"
	"math"
	"math/rand/v2"

	"golang.org/x/image/vector"
)

// rgb is a colour with channels in [0,1].
type rgb [3]float32

// canvas is an image being drawn: pix is (3,S,S) CHW, channels in [0,1]
// (values outside are clamped when the canvas is quantised).
type canvas struct {
	size int
	pix  []float32
}

// newCanvas returns a black size×size canvas.
func newCanvas(size int) *canvas {
	return &canvas{size: size, pix: make([]float32, 3*size*size)}
}

// at returns the colour of pixel i = y·S + x.
func (c *canvas) at(i int) rgb {
	n := c.size * c.size
	return rgb{c.pix[i], c.pix[n+i], c.pix[2*n+i]}
}

// set stores col at pixel i = y·S + x.
func (c *canvas) set(i int, col rgb) {
	n := c.size * c.size
	c.pix[i], c.pix[n+i], c.pix[2*n+i] = col[0], col[1], col[2]
}

// blend mixes colour col(i) into the canvas with weight a[i] (a is (S,S),
// values in [0,1]): pixel = (1 − a)·pixel + a·col.
func (c *canvas) blend(a []float32, col func(i int) rgb) {
	for i, w := range a {
		if w == 0 {
			continue
		}
		p, q := c.at(i), col(i)
		for ch := range 3 {
			p[ch] += float32(w * (q[ch] - p[ch]))
		}
		c.set(i, p)
	}
}

// addNoise adds independent noise of mean 0 and standard deviation sigma to
// every channel of every pixel, in CHW order, one rng.Uint64 each: the sum
// of its four 16-bit words (Irwin–Hall, close to Gaussian, bounded to
// ±3.46σ), in integers, so that it is the same on every architecture
// (math/rand's NormFloat64 calls math.Exp and math.Log, which are not).
func (c *canvas) addNoise(sigma float32, rng *rand.Rand) {
	// Each word is uniform on 0…65535: variance (65536² − 1)/12.
	const wordsStd = 37837.23 // √(4·(65536² − 1)/12)
	k := sigma / wordsStd
	for i := range c.pix {
		u := rng.Uint64()
		d := int32(u&0xffff) + int32(u>>16&0xffff) + int32(u>>32&0xffff) + int32(u>>48) - 2*65535
		c.pix[i] += float32(k * float32(d))
	}
}

// image quantises the canvas to an opaque 8-bit image, rounding each
// clamped channel v to round(255·v).
func (c *canvas) image() *image.RGBA {
	s := c.size
	img := image.NewRGBA(image.Rect(0, 0, s, s))
	for i := range s * s {
		p := c.at(i)
		for ch := range 3 {
			img.Pix[4*i+ch] = uint8(float32(min(max(p[ch], 0), 1)*255) + 0.5)
		}
		img.Pix[4*i+3] = 0xff
	}
	return img
}

// point is a position in pixels; pixel (x, y) covers [x, x+1)×[y, y+1).
type point struct{ x, y float32 }

func (p point) add(q point) point           { return point{p.x + q.x, p.y + q.y} }
func (p point) sub(q point) point           { return point{p.x - q.x, p.y - q.y} }
func (p point) scale(k float32) point       { return point{float32(k * p.x), float32(k * p.y)} }
func (p point) dot(q point) float32         { return float32(p.x*q.x) + float32(p.y*q.y) }
func (p point) perp() point                 { return point{-p.y, p.x} }
func (p point) len() float32                { return sqrt32(p.dot(p)) }
func lerpPoint(p, q point, t float32) point { return p.add(q.sub(p).scale(t)) }

// unit is the unit vector at angle radians from the x axis (y down).
func unit(angle float64) point {
	c, s := cosSin(angle)
	return point{float32(c), float32(s)}
}

// pixelCentre is the centre of pixel i = y·S + x.
func pixelCentre(i, size int) point {
	return point{float32(i%size) + 0.5, float32(i/size) + 0.5}
}

// coverageTile is the largest rasterizer golang.org/x/image/vector runs in
// fixed-point arithmetic (its floatingPointMathThreshold); coverage splits
// larger images into tiles of this size, so that its floating-point path,
// which may fuse multiply-adds, is never used.
const coverageTile = 512

// coverage rasterises the closed polygons polys (filled by the non-zero
// winding rule, so a polygon traced the other way round cuts a hole) into
// an (S,S) map of the fraction of each pixel they cover, in [0,1]
// (anti-aliased by golang.org/x/image/vector, 8-bit precision). Only
// straight edges reach the rasterizer: its Bézier flattening may fuse
// multiply-adds, so curves are flattened here, with rounded products.
func coverage(size int, polys ...[]point) []float32 {
	out := make([]float32, size*size)
	for y0 := 0; y0 < size; y0 += coverageTile {
		for x0 := 0; x0 < size; x0 += coverageTile {
			w, h := min(coverageTile, size-x0), min(coverageTile, size-y0)
			z := vector.NewRasterizer(w, h)
			ox, oy := float32(x0), float32(y0)
			for _, pts := range polys {
				z.MoveTo(pts[0].x-ox, pts[0].y-oy)
				for _, p := range pts[1:] {
					z.LineTo(p.x-ox, p.y-oy)
				}
				z.ClosePath()
			}
			dst := image.NewAlpha(image.Rect(0, 0, w, h))
			z.Draw(dst, dst.Bounds(), image.Opaque, image.Point{})
			for y := range h {
				for x := range w {
					out[(y0+y)*size+x0+x] = float32(dst.Pix[y*dst.Stride+x]) / 255
				}
			}
		}
	}
	return out
}

// ellipse is the outline of the ellipse of semi-axes a along u and b across
// it, centred on c, as n points, counter-clockwise on screen for a > 0.
func ellipse(c, u point, a, b float32, n int) []point {
	pts := make([]point, n)
	for j := range pts {
		co, si := cosSin(2 * math.Pi * float64(j) / float64(n))
		pts[j] = c.add(u.scale(float32(a * float32(co)))).add(u.perp().scale(float32(b * float32(si))))
	}
	return pts
}

// hsv converts hue, saturation and value in [0,1] (hue wraps) to RGB.
func hsv(h, s, v float64) rgb {
	h = float64((h - math.Floor(h)) * 6)
	k := int(h) % 6
	f := h - math.Floor(h)
	p, q, t := v*(1-s), v*(1-float64(s*f)), v*(1-float64(s*(1-f)))
	var r, g, b float64
	switch k {
	case 0:
		r, g, b = v, t, p
	case 1:
		r, g, b = q, v, p
	case 2:
		r, g, b = p, v, t
	case 3:
		r, g, b = p, q, v
	case 4:
		r, g, b = t, p, v
	default:
		r, g, b = v, p, q
	}
	return rgb{float32(r), float32(g), float32(b)}
}

// smoothstep is 0 for t ≤ a, 1 for t ≥ b and the cubic 3u² − 2u³ of
// u = (t − a)/(b − a) between (a > b gives the mirrored step).
func smoothstep(a, b, t float32) float32 {
	u := min(max((t-a)/(b-a), 0), 1)
	return float32(float32(u*u) * (3 - float32(2*u)))
}
