package synth

import (
	"image"
	"math"

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
			p[ch] += w * (q[ch] - p[ch])
		}
		c.set(i, p)
	}
}

// addNoise adds independent Gaussian noise of standard deviation sigma to
// every channel of every pixel, drawn from next in CHW order.
func (c *canvas) addNoise(sigma float32, next func() float64) {
	for i := range c.pix {
		c.pix[i] += sigma * float32(next())
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
			img.Pix[4*i+ch] = uint8(min(max(p[ch], 0), 1)*255 + 0.5)
		}
		img.Pix[4*i+3] = 0xff
	}
	return img
}

// point is a position in pixels; pixel (x, y) covers [x, x+1)×[y, y+1).
type point struct{ x, y float32 }

func (p point) add(q point) point           { return point{p.x + q.x, p.y + q.y} }
func (p point) sub(q point) point           { return point{p.x - q.x, p.y - q.y} }
func (p point) scale(k float32) point       { return point{k * p.x, k * p.y} }
func (p point) dot(q point) float32         { return p.x*q.x + p.y*q.y }
func (p point) perp() point                 { return point{-p.y, p.x} }
func (p point) len() float32                { return float32(math.Hypot(float64(p.x), float64(p.y))) }
func unit(angle float64) point              { return point{float32(math.Cos(angle)), float32(math.Sin(angle))} }
func lerpPoint(p, q point, t float32) point { return p.add(q.sub(p).scale(t)) }

// coverage rasterises the closed shape that draw traces on z into an (S,S)
// map of the fraction of each pixel it covers, in [0,1] (anti-aliased by
// golang.org/x/image/vector, 8-bit precision).
func coverage(size int, draw func(z *vector.Rasterizer)) []float32 {
	z := vector.NewRasterizer(size, size)
	draw(z)
	dst := image.NewAlpha(image.Rect(0, 0, size, size))
	z.Draw(dst, dst.Bounds(), image.Opaque, image.Point{})
	out := make([]float32, size*size)
	for i, a := range dst.Pix {
		out[i] = float32(a) / 255
	}
	return out
}

// polygon traces the closed polygon through pts.
func polygon(pts []point) func(z *vector.Rasterizer) {
	return func(z *vector.Rasterizer) {
		z.MoveTo(pts[0].x, pts[0].y)
		for _, p := range pts[1:] {
			z.LineTo(p.x, p.y)
		}
		z.ClosePath()
	}
}

// hsv converts hue, saturation and value in [0,1] (hue wraps) to RGB.
func hsv(h, s, v float64) rgb {
	h = (h - math.Floor(h)) * 6
	k := int(h) % 6
	f := h - math.Floor(h)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
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
	return u * u * (3 - 2*u)
}
