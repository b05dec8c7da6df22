package train

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeImages writes n seeded random side×side PNGs named prefix0.png… into
// dir (created) and returns their paths.
func writeImages(t *testing.T, dir, prefix string, n, side int, seed uint64) []string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	var paths []string
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		base := uint8(rng.IntN(128))
		for y := range side {
			for x := range side {
				img.Set(x, y, color.RGBA{base + uint8(rng.IntN(16)), uint8(x * 255 / side), uint8(y * 255 / side), 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, prefix+string(rune('0'+i/10))+string(rune('0'+i%10))+".png")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// wantErr fails unless err is an error whose text holds every part.
func wantErr(t *testing.T, name string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one mentioning %q", name, parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not mention %q", name, err, p)
		}
	}
}

func TestFindImagesMVTec(t *testing.T) {
	root := t.TempDir()
	want := writeImages(t, filepath.Join(root, "bottle", "train", "good"), "g", 3, 8, 1)
	writeImages(t, filepath.Join(root, "bottle", "test", "broken"), "b", 2, 8, 2)
	writeImages(t, filepath.Join(root, "cable", "train", "good"), "c", 2, 8, 3)
	os.WriteFile(filepath.Join(root, "bottle", "train", "good", "notes.txt"), []byte("x"), 0o644)

	got, err := FindImages(root, "bottle")
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("FindImages(root, bottle) = %v, %v; want %v", got, err, want)
	}
	// A category folder itself, without -category.
	got, err = FindImages(filepath.Join(root, "bottle"), "")
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("FindImages(root/bottle, \"\") = %v, %v; want %v", got, err, want)
	}
	_, err = FindImages(root, "screw")
	wantErr(t, "unknown category", err, filepath.Join(root, "screw", "train", "good"), "bottle, cable")
	_, err = FindImages(root, "")
	wantErr(t, "root without -category", err, "-category", "bottle, cable")
}

func TestFindImagesVisA(t *testing.T) {
	root := t.TempDir()
	normal := writeImages(t, filepath.Join(root, "candle", "Data", "Images", "Normal"), "n", 3, 8, 1)
	writeImages(t, filepath.Join(root, "candle", "Data", "Images", "Anomaly"), "a", 1, 8, 2)
	rel := func(p string) string { r, _ := filepath.Rel(root, p); return filepath.ToSlash(r) }
	csv := "object,split,label,image,mask\n" +
		"candle,train," + "normal," + rel(normal[2]) + ",\n" +
		"candle,train,normal," + rel(normal[0]) + ",\n" +
		"candle,test,normal," + rel(normal[1]) + ",\n" +
		"candle,test,anomaly,candle/Data/Images/Anomaly/a00.png,candle/Data/Masks/Anomaly/a00.png\n" +
		"pcb1,train,normal,pcb1/Data/Images/Normal/0000.JPG,\n"
	os.MkdirAll(filepath.Join(root, "split_csv"), 0o755)
	if err := os.WriteFile(filepath.Join(root, "split_csv", "1cls.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := FindImages(root, "candle")
	want := []string{normal[0], normal[2]}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("FindImages(visa, candle) = %v, %v; want %v", got, err, want)
	}
	_, err = FindImages(root, "fryum")
	wantErr(t, "unknown object", err, "fryum", "candle, pcb1")
	_, err = FindImages(root, "")
	wantErr(t, "no -category", err, "1cls.csv", "-category")
}

func TestFindImagesFlatFolder(t *testing.T) {
	dir := t.TempDir()
	want := writeImages(t, dir, "x", 4, 8, 1)
	os.Mkdir(filepath.Join(dir, "sub.png"), 0o755) // a folder is not an image
	got, err := FindImages(dir, "")
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("FindImages(flat) = %v, %v; want %v", got, err, want)
	}
}

func TestFindImagesErrors(t *testing.T) {
	root := t.TempDir()
	missing := filepath.Join(root, "nope")
	_, err := FindImages(missing, "")
	wantErr(t, "missing folder", err, missing)

	_, err = FindImages(root, "")
	wantErr(t, "empty folder", err, "no images", root)

	empty := filepath.Join(root, "bottle", "train", "good")
	os.MkdirAll(empty, 0o755)
	_, err = FindImages(root, "bottle")
	wantErr(t, "empty train/good", err, "no images", empty)

	file := filepath.Join(root, "file.png")
	os.WriteFile(file, []byte("x"), 0o644)
	_, err = FindImages(file, "")
	wantErr(t, "a file as data folder", err, file, "not a folder")
}

func TestLoadImagesSkipsUnreadable(t *testing.T) {
	dir := t.TempDir()
	paths := writeImages(t, dir, "ok", 3, 12, 1)
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("not a png"), 0o644)
	paths = append(paths[:1], append([]string{bad}, paths[1:]...)...)

	var warn bytes.Buffer
	tensors, loaded, err := LoadImages(paths, 8, 0, &warn)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{paths[0], paths[2], paths[3]}; !slices.Equal(loaded, want) {
		t.Errorf("loaded %v, want %v", loaded, want)
	}
	if len(tensors) != 3 || len(tensors[0]) != 3*8*8 {
		t.Errorf("got %d tensors of %d values, want 3 of %d", len(tensors), len(tensors[0]), 3*8*8)
	}
	if !strings.Contains(warn.String(), "skipping "+bad) {
		t.Errorf("warnings %q do not name %s", warn.String(), bad)
	}
	for _, v := range tensors[1] {
		if v < -1 || v > 1 {
			t.Fatalf("tensor value %g outside [-1,1]", v)
		}
	}

	_, _, err = LoadImages([]string{bad}, 8, 0, &warn)
	wantErr(t, "only unreadable", err, "none of the 1 images")

	// The pixel limit skips too.
	_, _, err = LoadImages(paths[:1], 8, 100, &warn)
	wantErr(t, "over the pixel limit", err, "none of the 1 images")
}

func TestLoadDatasetTooFew(t *testing.T) {
	dir := t.TempDir()
	writeImages(t, dir, "one", 1, 8, 1)
	_, err := LoadDataset(dir, "", 8, 0, 0.2, 1, &bytes.Buffer{})
	wantErr(t, "one image", err, "1 training image", "at least 2")
}

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		n       int
		frac    float64
		wantVal int
	}{{2, 0.2, 1}, {5, 0.2, 1}, {10, 0.2, 2}, {11, 0.2, 2}, {13, 0.2, 3}, {4, 0.9, 3}, {100, 0.2, 20}} {
		tr, va, err := Split(c.n, c.frac, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(va) != c.wantVal || len(tr) != c.n-c.wantVal {
			t.Errorf("Split(%d, %g): %d train, %d val; want %d val", c.n, c.frac, len(tr), len(va), c.wantVal)
		}
		all := slices.Sorted(slices.Values(append(slices.Clone(tr), va...)))
		for i, v := range all {
			if v != i {
				t.Fatalf("Split(%d): train %v and val %v are not a partition", c.n, tr, va)
			}
		}
		tr2, va2, _ := Split(c.n, c.frac, 7)
		if !slices.Equal(tr, tr2) || !slices.Equal(va, va2) {
			t.Errorf("Split(%d) is not deterministic", c.n)
		}
	}
	_, va1, _ := Split(100, 0.2, 1)
	_, va2, _ := Split(100, 0.2, 2)
	if slices.Equal(va1, va2) {
		t.Errorf("seeds 1 and 2 chose the same validation set %v", va1)
	}
	_, _, err := Split(1, 0.2, 1)
	wantErr(t, "Split(1)", err, "at least 2")
}

func TestShuffle(t *testing.T) {
	a, b := Shuffle(50, 3, 4), Shuffle(50, 3, 4)
	if !slices.Equal(a, b) {
		t.Errorf("Shuffle(50, 3, 4) differs between calls")
	}
	if slices.Equal(a, Shuffle(50, 3, 5)) || slices.Equal(a, Shuffle(50, 4, 4)) {
		t.Errorf("Shuffle does not change with the epoch or the seed")
	}
	if got := slices.Sorted(slices.Values(a)); got[0] != 0 || got[49] != 49 || len(slices.Compact(got)) != 50 {
		t.Errorf("Shuffle(50) = %v is not a permutation", a)
	}
}
