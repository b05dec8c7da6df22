package train

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/synth"
)

// synthData generates a small synthetic data set (cmd/synth's) of one
// category into a temporary folder and returns the folder.
func synthData(t *testing.T, category string, size int) string {
	t.Helper()
	dir := t.TempDir()
	o := synth.Options{Category: category, Size: size, Train: 3, TestGood: 3, TestDefect: 2, Seed: 7}
	if err := synth.Generate(dir, o, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestFindTestSetSynth(t *testing.T) {
	dir := synthData(t, "textile", 32)
	ts, err := FindTestSet(dir, "textile")
	if err != nil {
		t.Fatal(err)
	}
	types := synth.DefectTypes("textile")
	good, defect := ts.Counts()
	if good != 3 || defect != 2*len(types) || ts.MissingMasks != 0 {
		t.Fatalf("counts good %d, defect %d, missing masks %d; want 3, %d, 0", good, defect, ts.MissingMasks, 2*len(types))
	}
	if got := ts.DefectTypes(); !slices.Equal(got, types) {
		t.Errorf("defect types %q, want %q", got, types)
	}
	for _, im := range ts.Images {
		dirName := filepath.Base(filepath.Dir(im.Path))
		if im.Defect != dirName || im.Anomalous != (dirName != GoodDefect) {
			t.Errorf("%s: defect %q anomalous %t", im.Path, im.Defect, im.Anomalous)
		}
		if im.Anomalous {
			want := filepath.Join(dir, "textile", "ground_truth", im.Defect, strings.TrimSuffix(filepath.Base(im.Path), ".png")+"_mask.png")
			if im.MaskPath != want {
				t.Errorf("%s: mask %q, want %q", im.Path, im.MaskPath, want)
			}
			// The loaded mask is the PNG's non-zero pixels (same size).
			mask, err := LoadMask(im.MaskPath, 32, 0)
			if err != nil {
				t.Fatal(err)
			}
			img, err := imageio.LoadRGB(im.MaskPath, 0)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for i, v := range mask {
				r, _, _, _ := img.At(i%32, i/32).RGBA()
				if v != (r > 0) {
					t.Fatalf("%s: pixel %d is %t, the PNG has %d", im.MaskPath, i, v, r)
				}
				if v {
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s: empty mask", im.MaskPath)
			}
		} else if im.MaskPath != "" {
			t.Errorf("normal image %s has mask %s", im.Path, im.MaskPath)
		}
	}
	// The category folder itself, and the root's category list.
	if ts2, err := FindTestSet(filepath.Join(dir, "textile"), ""); err != nil || len(ts2.Images) != len(ts.Images) {
		t.Errorf("category folder: %v, %d images", err, len(ts2.Images))
	}
	if cats, err := TestCategories(dir); err != nil || !slices.Equal(cats, []string{"textile"}) {
		t.Errorf("TestCategories = %q, %v; want [textile]", cats, err)
	}

	// A missing mask is counted, not an error.
	if err := os.Remove(filepath.Join(dir, "textile", "ground_truth", types[0], "000_mask.png")); err != nil {
		t.Fatal(err)
	}
	if ts, err = FindTestSet(dir, "textile"); err != nil || ts.MissingMasks != 1 {
		t.Errorf("one mask removed: MissingMasks %d, err %v; want 1", ts.MissingMasks, err)
	}

	_, err = FindTestSet(dir, "carpet")
	wantErr(t, "missing category", err, `no category "carpet"`, "categories here: textile")
	empty := filepath.Join(dir, "textile", "test", "crack")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = FindTestSet(dir, "textile")
	wantErr(t, "empty defect folder", err, "no images", empty)
}

// TestFindTestSetVisA reads a VisA split file and anomalib's converted
// VisA layout (masks named like their images, JPEG images).
func TestFindTestSetVisA(t *testing.T) {
	dir := t.TempDir()
	writeImages(t, filepath.Join(dir, "candle", "Data", "Images", "Normal"), "n", 3, 8, 1)
	writeImages(t, filepath.Join(dir, "candle", "Data", "Images", "Anomaly"), "a", 2, 8, 2)
	writeImages(t, filepath.Join(dir, "candle", "Data", "Masks", "Anomaly"), "a", 2, 8, 3)
	csv := "object,split,label,image,mask\n" +
		"candle,train,normal,candle/Data/Images/Normal/n00.png,\n" +
		"candle,test,normal,candle/Data/Images/Normal/n01.png,\n" +
		"candle,test,normal,candle/Data/Images/Normal/n02.png,\n" +
		"candle,test,anomaly,candle/Data/Images/Anomaly/a00.png,candle/Data/Masks/Anomaly/a00.png\n" +
		"candle,test,anomaly,candle/Data/Images/Anomaly/a01.png,\n" +
		"pcb1,test,normal,pcb1/x.png,\n"
	if err := os.MkdirAll(filepath.Join(dir, "split_csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "split_csv", "1cls.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := FindTestSet(dir, "candle")
	if err != nil {
		t.Fatal(err)
	}
	good, defect := ts.Counts()
	if good != 2 || defect != 2 || ts.MissingMasks != 1 {
		t.Errorf("VisA csv: good %d, defect %d, missing masks %d; want 2, 2, 1", good, defect, ts.MissingMasks)
	}
	if a := ts.Images[0]; a.Defect != VisADefect || a.MaskPath != filepath.Join(dir, "candle", "Data", "Masks", "Anomaly", "a00.png") {
		t.Errorf("first image %+v: want the anomaly with its mask", a)
	}
	if cats, err := TestCategories(dir); err != nil || !slices.Equal(cats, []string{"candle", "pcb1"}) {
		t.Errorf("TestCategories = %q, %v", cats, err)
	}
	_, err = FindTestSet(dir, "fryum")
	wantErr(t, "missing VisA object", err, `object "fryum"`, "candle, pcb1")

	// anomalib's layout: CATEGORY/test/{good,bad}, ground_truth/bad/NAME.png.
	root := t.TempDir()
	writeImages(t, filepath.Join(root, "candle", "test", "good"), "g", 2, 8, 4)
	writeImages(t, filepath.Join(root, "candle", "test", "bad"), "b", 2, 8, 5)
	writeImages(t, filepath.Join(root, "candle", "ground_truth", "bad"), "b", 2, 8, 6)
	ts, err = FindTestSet(root, "candle")
	if err != nil {
		t.Fatal(err)
	}
	if ts.MissingMasks != 0 || ts.Images[0].MaskPath != filepath.Join(root, "candle", "ground_truth", "bad", "b00.png") {
		t.Errorf("anomalib VisA: missing %d, first %+v", ts.MissingMasks, ts.Images[0])
	}
}

// TestBinariseMask checks the threshold (> 0 in any channel) and the
// nearest-neighbour resize (source floor(dst·in/out)).
func TestBinariseMask(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.Pix = []uint8{
		0, 1, 0, 0,
		0, 0, 0, 0,
		0, 0, 255, 0,
		0, 0, 0, 0,
	}
	if got, want := BinariseMask(img, 4), []bool{
		false, true, false, false,
		false, false, false, false,
		false, false, true, false,
		false, false, false, false,
	}; !slices.Equal(got, want) {
		t.Errorf("same size: %v", got)
	}
	// 4 → 2 takes source pixels 0 and 2: (0,0) (2,0) (0,2) (2,2).
	if got, want := BinariseMask(img, 2), []bool{false, false, false, true}; !slices.Equal(got, want) {
		t.Errorf("4→2: %v, want %v", got, want)
	}
	// 4 → 8 repeats each source pixel 2×2.
	up := BinariseMask(img, 8)
	for y := range 8 {
		for x := range 8 {
			if up[y*8+x] != (img.Pix[(y/2)*4+x/2] > 0) {
				t.Fatalf("4→8: pixel (%d,%d) is %t", x, y, up[y*8+x])
			}
		}
	}
	rgb := image.NewRGBA(image.Rect(0, 0, 1, 1))
	rgb.Set(0, 0, color.RGBA{0, 0, 3, 255})
	if !BinariseMask(rgb, 1)[0] {
		t.Error("a mask non-zero in blue only reads as false")
	}
}
