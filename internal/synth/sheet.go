package synth

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// ContactSheet draws examples of every category, one row each: normal
// normal test images, then one test image of each defect type with its
// ground-truth mask outlined in yellow, every image of o.Size pixels
// (o.Category and the counts in o are ignored). Each image is labelled
// with its category or defect type.
func ContactSheet(o Options, normal int) *image.RGBA {
	const gap, label = 4, 14
	cats := Categories()
	cols := normal
	for _, c := range cats {
		cols = max(cols, normal+len(categories[c].defects))
	}
	cell := o.Size + gap
	sheet := image.NewRGBA(image.Rect(0, 0, cols*cell+gap, len(cats)*(cell+label)+gap))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.RGBA{32, 32, 32, 255}), image.Point{}, draw.Src)
	text := func(x, y int, s string) {
		d := font.Drawer{Dst: sheet, Src: image.NewUniform(color.RGBA{230, 230, 230, 255}), Face: basicfont.Face7x13,
			Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	for row, cat := range cats {
		o.Category = cat
		y := gap + row*(cell+label) + label
		put := func(col int, img *image.RGBA, mask *image.Gray, name string) {
			x := gap + col*cell
			draw.Draw(sheet, image.Rect(x, y, x+o.Size, y+o.Size), img, image.Point{}, draw.Src)
			if mask != nil {
				outlineMask(sheet, mask, image.Pt(x, y))
			}
			text(x, y-3, name)
		}
		for i := range normal {
			img, _ := Render(o, "test/good", i, "")
			name := "good"
			if i == 0 {
				name = cat
			}
			put(i, img, nil, name)
		}
		for j, d := range categories[cat].defects {
			img, mask := Render(o, "test/"+d, 0, d)
			put(normal+j, img, mask, d)
		}
	}
	return sheet
}

// outlineMask marks in yellow, on dst at offset, the pixels just outside
// mask: those not set with a set pixel two or fewer pixels away along an
// axis (so that the defect itself stays visible).
func outlineMask(dst *image.RGBA, mask *image.Gray, offset image.Point) {
	b := mask.Bounds()
	on := func(x, y int) bool { return image.Pt(x, y).In(b) && mask.GrayAt(x, y).Y != 0 }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !on(x, y) && (on(x-2, y) || on(x+2, y) || on(x, y-2) || on(x, y+2)) && !(on(x-1, y) || on(x+1, y) || on(x, y-1) || on(x, y+1)) {
				dst.SetRGBA(x+offset.X, y+offset.Y, color.RGBA{255, 220, 0, 255})
			}
		}
	}
}
