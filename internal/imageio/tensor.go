package imageio

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"golang.org/x/image/draw"
)

// ToTensor converts img into the network input x0 of the spec: RGB (grey
// repeated to 3 channels), resized to size×size with a Catmull-Rom filter
// (not resized when already size×size), values v in [0,1] (8-bit/255,
// 16-bit/65535), x0 = (v − 0.5)/0.5. out is (3,size,size), CHW.
//
// Alpha is dropped, as PIL's convert("RGB") does: each pixel keeps its
// non-premultiplied colour. Only a fully transparent pixel of an image type
// that stores premultiplied colour (image.RGBA, for example) has no colour
// left, and becomes black.
func ToTensor(img image.Image, size int) []float32 {
	rgb := opaqueRGB(img, size)
	plane := size * size
	out := make([]float32, 3*plane)
	for y := range size {
		for x := range size {
			c := rgb.RGBA64At(x, y)
			i := y*size + x
			for ch, v := range [3]uint16{c.R, c.G, c.B} {
				u := float32(v) / 65535
				out[ch*plane+i] = (u - 0.5) / 0.5
			}
		}
	}
	return out
}

// FromCHW01 converts a (3,size,size) CHW tensor of values in [0,1] (clamped;
// NaN becomes 0) into an opaque 8-bit image, rounding v·255 to the nearest
// integer. It panics if len(data) is not 3·size·size.
func FromCHW01(data []float32, size int) *image.NRGBA {
	plane := size * size
	if len(data) != 3*plane {
		panic(fmt.Sprintf("imageio: FromCHW01 of %d values, want 3×%d×%d", len(data), size, size))
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range plane {
		p := img.Pix[4*i : 4*i+4]
		p[0] = to8(data[i])
		p[1] = to8(data[plane+i])
		p[2] = to8(data[2*plane+i])
		p[3] = 0xff
	}
	return img
}

// to8 maps v in [0,1] (clamped, NaN as 0) to the nearest 8-bit level.
func to8(v float32) uint8 {
	return uint8(math.Round(float64(clamp01(v)) * 255))
}

// clamp01 clamps v to [0,1], mapping NaN to 0.
func clamp01(v float32) float32 {
	if !(v > 0) {
		return 0
	}
	return min(v, 1)
}

// opaqueRGB returns img as an opaque size×size 16-bit image holding its
// non-premultiplied colours (see ToTensor), resized with Catmull-Rom when
// img is not already size×size.
func opaqueRGB(img image.Image, size int) *image.RGBA64 {
	b := img.Bounds()
	dst := image.NewRGBA64(image.Rect(0, 0, size, size))
	if b.Dx() == size && b.Dy() == size {
		copyStraight(dst, img)
		return dst
	}
	src := img
	if o, ok := img.(interface{ Opaque() bool }); !ok || !o.Opaque() {
		// The filter works on premultiplied colour; drop alpha first so that
		// transparent pixels keep their colour instead of turning dark.
		flat := image.NewRGBA64(image.Rect(0, 0, b.Dx(), b.Dy()))
		copyStraight(flat, img)
		src = flat
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

// copyStraight copies img's non-premultiplied colours, with alpha set to
// opaque, into dst, which has img's size and origin (0,0).
func copyStraight(dst *image.RGBA64, img image.Image) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl := straight(img, x, y)
			dst.SetRGBA64(x-b.Min.X, y-b.Min.Y, color.RGBA64{R: r, G: g, B: bl, A: 0xffff})
		}
	}
}

// straight returns the non-premultiplied 16-bit colour of img at (x,y).
func straight(img image.Image, x, y int) (r, g, b uint16) {
	switch m := img.(type) {
	case *image.NRGBA:
		c := m.NRGBAAt(x, y)
		return uint16(c.R) * 0x101, uint16(c.G) * 0x101, uint16(c.B) * 0x101
	case *image.NRGBA64:
		c := m.NRGBA64At(x, y)
		return c.R, c.G, c.B
	}
	pr, pg, pb, pa := img.At(x, y).RGBA()
	if pa == 0 || pa == 0xffff {
		return uint16(pr), uint16(pg), uint16(pb)
	}
	return uint16(pr * 0xffff / pa), uint16(pg * 0xffff / pa), uint16(pb * 0xffff / pa)
}
