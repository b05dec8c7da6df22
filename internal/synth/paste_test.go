package synth

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// pasteBase is a normal textile image as Paste takes it: (3,S,S) in [0,1].
func pasteBase(size int) []float32 {
	sc := textile(size, rand.New(rand.NewPCG(3, 4)))
	return sc.c.pix
}

func TestPasteDrawsWhereItsWeightSays(t *testing.T) {
	const size = 64
	for _, kind := range PasteKinds() {
		base := pasteBase(size)
		img := slices.Clone(base)
		donor := pasteBase(size)
		for i := range donor {
			donor[i] = 1 - donor[i] // unlike the image, so a patch from it shows
		}
		w, err := Paste(img, size, kind, donor, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		plane := size * size
		masked, changed := 0, 0
		for i, v := range w {
			if v < 0 || v > 1 {
				t.Fatalf("%s: weight[%d] = %g, want [0,1]", kind, i, v)
			}
			if v >= 0.5 {
				masked++
			}
			moved := false
			for ch := range 3 {
				if img[ch*plane+i] != base[ch*plane+i] {
					moved = true
				}
			}
			if moved {
				changed++
				if v == 0 {
					t.Fatalf("%s: pixel %d changed where the weight is 0", kind, i)
				}
			}
		}
		// A defect covers from about 0.1 % of the image (a thin scratch)
		// to a few per cent (a blob or patch of radius ≤ 10 % of S).
		if masked < plane/1000 || masked > plane/10 || changed < masked {
			t.Errorf("%s: %d masked and %d changed pixels of %d", kind, masked, changed, plane)
		}
	}
}

func TestPasteIsDeterministic(t *testing.T) {
	const size = 48
	for _, kind := range PasteKinds() {
		a, b, c := pasteBase(size), pasteBase(size), pasteBase(size)
		wa, _ := Paste(a, size, kind, nil, rand.New(rand.NewPCG(5, 6)))
		wb, _ := Paste(b, size, kind, nil, rand.New(rand.NewPCG(5, 6)))
		wc, _ := Paste(c, size, kind, nil, rand.New(rand.NewPCG(5, 7)))
		if !slices.Equal(a, b) || !slices.Equal(wa, wb) {
			t.Errorf("%s: two pastes with the same seed differ", kind)
		}
		if slices.Equal(wa, wc) {
			t.Errorf("%s: pastes with different seeds have the same weight", kind)
		}
	}
}

func TestPasteRefusesBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		img, donor []float32
		size       int
		kind, want string
	}{
		{make([]float32, 3*16*16), nil, 16, "dent", `unknown defect kind "dent"`},
		{make([]float32, 3*16*16-1), nil, 16, "blob", "want 3×16×16"},
		{make([]float32, 3*16*16), make([]float32, 5), 16, "patch", "donor of 5 values"},
	} {
		_, err := Paste(c.img, c.size, c.kind, c.donor, rng)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Paste(%d values, %s) = %v, want an error with %q", len(c.img), c.kind, err, c.want)
		}
	}
}
