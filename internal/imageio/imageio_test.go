package imageio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/noise2norm/noise2norm/internal/safetensors"
)

// x0Of is the spec's normalisation of an 8-bit level, in float32 as PyTorch
// computes it.
func x0Of(c uint8) float32 {
	v := float32(c) / 255
	return (v - 0.5) / 0.5
}

// checkClose requires |want−got| ≤ tol elementwise, reporting the worst.
func checkClose(t *testing.T, name string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	worst, at := 0.0, -1
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if at >= 0 && !(worst <= tol) {
		t.Errorf("%s: index %d: got %v, want %v (worst diff %g > %g)", name, at, got[at], want[at], worst, tol)
	}
}

// rgbPlanes returns the tensor a size×size image of the given per-pixel
// 8-bit colours (row-major) must convert to.
func rgbPlanes(px [][3]uint8) []float32 {
	out := make([]float32, 3*len(px))
	for i, c := range px {
		for ch := range 3 {
			out[ch*len(px)+i] = x0Of(c[ch])
		}
	}
	return out
}

func TestToTensorKnownImages(t *testing.T) {
	grey := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(grey.Pix, []uint8{0, 64, 128, 255})
	checkClose(t, "grey", ToTensor(grey, 2), rgbPlanes([][3]uint8{{0, 0, 0}, {64, 64, 64}, {128, 128, 128}, {255, 255, 255}}), 0)

	// Alpha is dropped: the non-premultiplied colour is kept, even at alpha
	// 0 where the image stores it; premultiplied colour is divided by alpha.
	rgba := image.NewRGBA(image.Rect(5, 5, 7, 7)) // non-zero origin
	rgba.SetRGBA(5, 5, color.RGBA{51, 17, 0, 51})
	rgba.SetRGBA(6, 5, color.RGBA{0, 0, 0, 0})
	rgba.SetRGBA(5, 6, color.RGBA{1, 2, 3, 255})
	rgba.SetRGBA(6, 6, color.RGBA{255, 255, 255, 255})
	checkClose(t, "premultiplied rgba", ToTensor(rgba, 2),
		rgbPlanes([][3]uint8{{255, 85, 0}, {0, 0, 0}, {1, 2, 3}, {255, 255, 255}}), 0)

	sq := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	copy(sq.Pix, []uint8{255, 128, 0, 0, 10, 20, 30, 77, 1, 2, 3, 255, 9, 8, 7, 1})
	checkClose(t, "nrgba", ToTensor(sq, 2), rgbPlanes([][3]uint8{{255, 128, 0}, {10, 20, 30}, {1, 2, 3}, {9, 8, 7}}), 0)

	g16 := image.NewGray16(image.Rect(0, 0, 1, 1))
	g16.SetGray16(0, 0, color.Gray16{Y: 0x8000})
	want := (float32(0x8000)/65535 - 0.5) / 0.5
	checkClose(t, "gray16", ToTensor(g16, 1), []float32{want, want, want}, 0)
}

func TestToTensorResize(t *testing.T) {
	// A uniform image stays uniform at any size (the filter's weights sum
	// to 1), also when transparent: alpha is dropped before filtering.
	for _, a := range []uint8{255, 10} {
		img := image.NewNRGBA(image.Rect(0, 0, 37, 23))
		for i := 0; i < len(img.Pix); i += 4 {
			copy(img.Pix[i:], []uint8{200, 100, 50, a})
		}
		got := ToTensor(img, 8)
		want := make([]float32, 3*64)
		for ch, c := range []uint8{200, 100, 50} {
			for i := range 64 {
				want[ch*64+i] = x0Of(c)
			}
		}
		checkClose(t, fmt.Sprint("uniform resize, alpha ", a), got, want, 2e-5)
	}

	// A left-dark/right-bright image keeps its edge on the right side.
	img := image.NewGray(image.Rect(0, 0, 40, 40))
	for y := range 40 {
		for x := 20; x < 40; x++ {
			img.SetGray(x, y, color.Gray{255})
		}
	}
	got := ToTensor(img, 4)
	if got[0] != -1 || got[3] != 1 {
		t.Errorf("edge image resized: row 0 is %v, want -1 on the left and 1 on the right", got[:4])
	}
}

// TestToTensorMatchesPyTorch compares with the x0 the PyTorch reference
// script computed from the same PNG (testdata/make_reference.py).
func TestToTensorMatchesPyTorch(t *testing.T) {
	ref, err := safetensors.ReadFile("../../testdata/ref/detect/expected.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	img, err := LoadRGB("../../testdata/ref/detect/input.png", 0)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "x0", ToTensor(img, 32), ref.Tensors["x0"].Data, 0)
}

func TestFromCHW01(t *testing.T) {
	// One pixel per value of r; g and b planes fixed at 0 and 1.
	r := []float32{-0.5, 0, 0.5, 1, 2, float32(math.NaN())}
	data := make([]float32, 0, 3*9)
	data = append(data, r...)
	data = append(data, 0.25, 0.75, 0.1)
	data = append(data, make([]float32, 9)...)
	for range 9 {
		data = append(data, 1)
	}
	img := FromCHW01(data, 3)
	wantR := []uint8{0, 0, 128, 255, 255, 0, 64, 191, 26}
	for i, w := range wantR {
		p := img.Pix[4*i : 4*i+4]
		if p[0] != w || p[1] != 0 || p[2] != 255 || p[3] != 255 {
			t.Errorf("pixel %d: got %v, want [%d 0 255 255]", i, p, w)
		}
	}
}

func TestJet(t *testing.T) {
	cases := []struct {
		t       float64
		r, g, b float64
	}{
		{0, 0, 0, 0.5},
		{-3, 0, 0, 0.5},
		{0.5, 0.15 / 0.31, 1, 1 - 0.16/0.31},
		{1, 0.5, 0, 0},
		{7, 0.5, 0, 0},
		{0.11, 0, 0, 1},
		{0.375, 0.025 / 0.31, 1, 1 - 0.035/0.31},
	}
	for _, c := range cases {
		r, g, b := Jet(c.t)
		if math.Abs(r-c.r) > 1e-12 || math.Abs(g-c.g) > 1e-12 || math.Abs(b-c.b) > 1e-12 {
			t.Errorf("Jet(%v) = (%v, %v, %v), want (%v, %v, %v)", c.t, r, g, b, c.r, c.g, c.b)
		}
	}
}

func TestHeatmap(t *testing.T) {
	base := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(base.Pix, []uint8{0, 100, 200, 255})
	amap := []float32{1, 3, 2, 9} // lo 1, hi 3: t = 0, 1, 0.5, 1 (clamped)
	jet8 := func(t float64) [3]uint8 {
		r, g, b := Jet(t)
		return [3]uint8{to8(float32(r)), to8(float32(g)), to8(float32(b))}
	}
	check := func(name string, img *image.NRGBA, want [][3]uint8) {
		t.Helper()
		for i, w := range want {
			p := img.Pix[4*i : 4*i+4]
			if p[0] != w[0] || p[1] != w[1] || p[2] != w[2] || p[3] != 255 {
				t.Errorf("%s: pixel %d: got %v, want %v and alpha 255", name, i, p, w)
			}
		}
	}
	check("alpha 1", Heatmap(base, amap, 2, 1, 3, 1), [][3]uint8{jet8(0), jet8(1), jet8(0.5), jet8(1)})
	check("alpha 0", Heatmap(base, amap, 2, 1, 3, 0), [][3]uint8{{0, 0, 0}, {100, 100, 100}, {200, 200, 200}, {255, 255, 255}})
	check("hi ≤ lo", Heatmap(base, amap, 2, 3, 3, 1), [][3]uint8{jet8(0), jet8(0), jet8(0), jet8(0)})
	// Half and half: pixel 3 is white base with dark red jet (0.5, 0, 0).
	half := Heatmap(base, amap, 2, 1, 3, 0.5)
	if p := half.Pix[12:16]; p[0] != 191 || p[1] != 128 || p[2] != 128 {
		t.Errorf("alpha 0.5 over white at t=1: got %v, want [191 128 128 255]", p)
	}
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, shape := range [][]int{{3, 4, 5}, {7}, {}, {0, 5}, {1, 1, 32, 32}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i)*0.37 - 3
		}
		path := filepath.Join(dir, "a.npy")
		if err := WriteNPY(path, shape, data); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if off := len(b) - 4*n; off%64 != 0 || b[off-1] != '\n' {
			t.Errorf("shape %v: data starts at %d, want a multiple of 64 after a newline", shape, off)
		}
		gotShape, got, err := ReadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotShape, shape) || !reflect.DeepEqual(got, data) {
			t.Errorf("round trip of shape %v: got shape %v, data %v", shape, gotShape, got)
		}
	}
}

// TestNPYHeaderBytes pins the header numpy.save (NumPy 1.24) writes for a
// (3, 32, 32) float32 array: np.save(f, np.zeros((3, 32, 32), "<f4")).
func TestNPYHeaderBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	if err := WriteNPY(path, []int{3, 32, 32}, make([]float32, 3*32*32)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32), }" +
		strings.Repeat(" ", 53) + "\n"
	if got := string(b[:128]); got != want {
		t.Errorf("header:\n got %q\nwant %q", got, want)
	}
}

func TestNPYRefuses(t *testing.T) {
	dir := t.TempDir()
	err := WriteNPY(filepath.Join(dir, "bad.npy"), []int{2, 3}, make([]float32, 5))
	if err == nil || !strings.Contains(err.Error(), "bad.npy") || !strings.Contains(err.Error(), "[2 3]") {
		t.Errorf("shape mismatch: got %v, want an error naming the file and shape", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused write left %d files", len(entries))
	}
	f8 := filepath.Join(dir, "f8.npy")
	// np.save(f, np.zeros(1)) with NumPy 1.24.
	npyF8 := "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }" +
		strings.Repeat(" ", 60) + "\n" + strings.Repeat("\x00", 8)
	os.WriteFile(f8, []byte(npyF8), 0o644)
	if _, _, err := ReadNPY(f8); err == nil || !strings.Contains(err.Error(), "dtype <f8, want <f4") {
		t.Errorf("float64 file: got %v, want a dtype refusal", err)
	}
}

func TestWritePNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.png")
	img := FromCHW01([]float32{0, 0.5, 1, 0.2, 0.4, 0.6, 0.9, 0.8, 0.7, 0.1, 0.3, 0.5}, 2)
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	back, err := LoadRGB(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "PNG round trip", ToTensor(back, 2), ToTensor(img, 2), 0)
	if err := WritePNG(filepath.Join(t.TempDir(), "missing", "o.png"), img); err == nil {
		t.Error("writing into a missing directory: no error")
	}
}

// webp3x2 is a lossless 3×2 WebP written by PIL 9.4 of the pixels
// red, green, blue / (10,20,30), (200,100,50), white.
const webp3x2 = "RIFFB\x00\x00\x00WEBPVP8L6\x00\x00\x00\x2f\x02\x40\x00\x00\x2f\x40\x90\x6d\xb3\x41\xdc\xeb\xfe\x32\xd3\x20\x93\xb6\xc9\x5f\xff\x76\x66\x6d\x64\xd2\x36\xad\x87\xfd\xf3\xaf\xb2\xf3\x1f\x68\xe4\x91\xac\xfb\x06\x04\x02\x94\xb1\xe2\x81\x6d\x22\xfa\x1f\xe3\x05"

func TestLoadRGBFormats(t *testing.T) {
	dir := t.TempDir()
	px := [][3]uint8{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}, {200, 100, 50}, {255, 255, 255}}
	src := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i, c := range px {
		copy(src.Pix[4*i:], []uint8{c[0], c[1], c[2], 255})
	}
	pal := image.NewPaletted(src.Bounds(), nil)
	for _, c := range px {
		pal.Palette = append(pal.Palette, color.NRGBA{c[0], c[1], c[2], 255})
	}
	copy(pal.Pix, []uint8{0, 1, 2, 3, 4, 5})
	encoders := map[string]func(io.Writer) error{
		"a.png":  func(w io.Writer) error { return png.Encode(w, src) },
		"a.gif":  func(w io.Writer) error { return gif.Encode(w, pal, nil) },
		"a.bmp":  func(w io.Writer) error { return bmp.Encode(w, src) },
		"a.tiff": func(w io.Writer) error { return tiff.Encode(w, src, nil) },
		"a.webp": func(w io.Writer) error { _, err := io.WriteString(w, webp3x2); return err },
	}
	for name, enc := range encoders {
		var buf bytes.Buffer
		if err := enc(&buf); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if !HasImageExt(path) {
			t.Errorf("HasImageExt(%q) is false", path)
		}
		img, err := LoadRGB(path, 6)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != 3 || b.Dy() != 2 {
			t.Errorf("%s: bounds %v, want 3×2", name, b)
			continue
		}
		got := make([]float32, 0, 18)
		for y := range 2 {
			for x := range 3 {
				r, g, b := straight(img, x, y)
				got = append(got, float32(r>>8), float32(g>>8), float32(b>>8))
			}
		}
		want := make([]float32, 0, 18)
		for _, c := range px {
			want = append(want, float32(c[0]), float32(c[1]), float32(c[2]))
		}
		checkClose(t, name, got, want, 0)
	}

	// JPEG is lossy: a uniform image comes back close to its colour.
	uni := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < len(uni.Pix); i += 4 {
		copy(uni.Pix[i:], []uint8{200, 100, 50, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, uni, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "a.JPG")
	os.WriteFile(path, buf.Bytes(), 0o644)
	img, err := LoadRGB(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, g, b := straight(img, 8, 8)
	checkClose(t, "jpeg", []float32{float32(r >> 8), float32(g >> 8), float32(b >> 8)}, []float32{200, 100, 50}, 3)
	if HasImageExt("notes.txt") || HasImageExt("png") {
		t.Error("HasImageExt accepts a non-image name")
	}
}

// pngHeaderOnly is a PNG signature and IHDR chunk claiming w×h RGB pixels,
// followed by nothing: decoding any pixel fails.
func pngHeaderOnly(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit, RGB, deflate, no filter method, no interlace
	chunk := append([]byte("IHDR"), ihdr...)
	out := append([]byte("\x89PNG\r\n\x1a\n"), binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)))...)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

func TestLoadRGBPixelLimit(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.png")
	os.WriteFile(huge, pngHeaderOnly(100000, 100000), 0o644)
	_, err := LoadRGB(huge, 0)
	for _, w := range []string{"huge.png", "100000×100000", "exceeds the limit of 50000000"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("100000×100000 header: got %v, want the size refusal mentioning %q", err, w)
		}
	}
	// The same header at a size under the limit fails in decoding instead:
	// so the refusal above came before any pixel was read.
	small := filepath.Join(dir, "small.png")
	os.WriteFile(small, pngHeaderOnly(10, 10), 0o644)
	if _, err := LoadRGB(small, 0); err == nil || strings.Contains(err.Error(), "limit") || !strings.Contains(err.Error(), "small.png") {
		t.Errorf("10×10 header without data: got %v, want a decoding error naming small.png", err)
	}
}

func TestLoadRGBCorrupt(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 64)))
	cases := map[string]struct {
		data []byte
		want string
	}{
		"truncated.png": {buf.Bytes()[:buf.Len()-30], "truncated.png"},
		"garbage.png":   {[]byte("this is not an image at all, just text"), "not an image in a known format"},
		"empty.jpg":     {nil, "empty.jpg"},
		"badcrc.png":    {append(pngHeaderOnly(4, 4)[:29], 0, 0, 0, 0), "badcrc.png: corrupt image"},
	}
	for name, c := range cases {
		path := filepath.Join(dir, name)
		os.WriteFile(path, c.data, 0o644)
		_, err := LoadRGB(path, 0)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v, want an error naming the file and mentioning %q", name, err, c.want)
		}
	}
	if _, err := LoadRGB(filepath.Join(dir, "absent.png"), 0); err == nil || !strings.Contains(err.Error(), "absent.png") {
		t.Errorf("missing file: got %v, want an error naming it", err)
	}
}
