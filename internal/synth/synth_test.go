package synth

import (
	"bytes"
	"image"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/train"
)

// small is a quick data set of each category.
func small(category string) Options {
	return Options{Category: category, Size: 48, Train: 3, TestGood: 2, TestDefect: 2, Seed: 7}
}

// readTree returns every file under root by its slash path relative to root.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// generate writes o under a new temporary folder and returns the folder.
func generate(t *testing.T, o Options) string {
	t.Helper()
	dir := t.TempDir()
	var progress bytes.Buffer
	if err := Generate(dir, o, &progress); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Count(progress.String(), "\n"), 2+len(DefectTypes(o.Category)); got != want {
		t.Errorf("%d progress lines, want one per split (%d):\n%s", got, want, progress.String())
	}
	return dir
}

func TestGenerateIsDeterministic(t *testing.T) {
	for _, cat := range Categories() {
		o := small(cat)
		a, b := readTree(t, generate(t, o)), readTree(t, generate(t, o))
		if len(a) != len(b) {
			t.Fatalf("%s: %d and %d files", cat, len(a), len(b))
		}
		for name, data := range a {
			if !bytes.Equal(data, b[name]) {
				t.Errorf("%s: %s differs between two runs", cat, name)
			}
		}
		o.Seed++
		c := readTree(t, generate(t, o))
		for name, data := range a {
			if bytes.Equal(data, c[name]) && !strings.HasPrefix(name, cat+"/ground_truth/") {
				t.Errorf("%s: %s is the same with seeds %d and %d", cat, name, o.Seed-1, o.Seed)
			}
		}
	}
}

func TestGenerateLayout(t *testing.T) {
	o := small("textile")
	dir := generate(t, o)
	var want []string
	add := func(folder string, n int, suffix string) {
		for _, name := range []string{"000", "001", "002"}[:n] {
			want = append(want, "textile/"+folder+"/"+name+suffix+".png")
		}
	}
	add("train/good", o.Train, "")
	add("test/good", o.TestGood, "")
	for _, d := range DefectTypes(o.Category) {
		add("test/"+d, o.TestDefect, "")
		add("ground_truth/"+d, o.TestDefect, "_mask")
	}
	slices.Sort(want)
	files := readTree(t, dir)
	var got []string
	for name := range files {
		got = append(got, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// train's data discovery finds exactly the training images.
	found, err := train.FindImages(dir, "textile")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range found {
		rel, _ := filepath.Rel(dir, p)
		found[i] = filepath.ToSlash(rel)
	}
	if w := want[len(want)-o.Train:]; !slices.Equal(found, w) {
		t.Errorf("train.FindImages: %q, want %q", found, w)
	}

	// A second run into the same folder is refused and changes nothing.
	if err := Generate(dir, o, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second run: error %v, want one saying the folder already exists", err)
	}
	if len(readTree(t, dir)) != len(want) {
		t.Error("the refused run changed the folder")
	}
}

func TestFileNumber(t *testing.T) {
	for _, c := range []struct {
		i, n int
		want string
	}{{0, 1, "000"}, {7, 16, "007"}, {999, 1000, "999"}, {0, 1001, "0000"}, {1000, 1001, "1000"}, {42, 123456, "000042"}} {
		if got := fileNumber(c.i, c.n); got != c.want {
			t.Errorf("fileNumber(%d, %d) = %q, want %q", c.i, c.n, got, c.want)
		}
	}
}

func TestGenerateSkipsEmptySplits(t *testing.T) {
	dir := t.TempDir()
	var progress bytes.Buffer
	if err := Generate(dir, Options{Category: "pills", Size: 16, Train: 2, Seed: 1}, &progress); err != nil {
		t.Fatal(err)
	}
	if got, want := progress.String(), "synth: pills/train/good: 2 images\n"; got != want {
		t.Errorf("progress %q, want %q", got, want)
	}
	if got := len(readTree(t, dir)); got != 2 {
		t.Errorf("%d files, want 2", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "pills", "test")); !os.IsNotExist(err) {
		t.Errorf("empty test splits got a folder (stat: %v)", err)
	}
}

// meanAbsDiff is the mean absolute difference of the RGB levels of a and b
// over the pixels where in(i) holds, and how many there are.
func meanAbsDiff(a, b *image.RGBA, in func(i int) bool) (mean float64, n int) {
	var sum float64
	for i := range len(a.Pix) / 4 {
		if !in(i) {
			continue
		}
		n++
		for ch := range 3 {
			sum += math.Abs(float64(a.Pix[4*i+ch]) - float64(b.Pix[4*i+ch]))
		}
	}
	return sum / float64(3*max(n, 1)), n
}

func TestDefectsMatchTheirMasks(t *testing.T) {
	for _, cat := range Categories() {
		o := small(cat)
		o.Size = 96
		for _, d := range DefectTypes(o.Category) {
			for i := range 4 {
				split := "test/" + d
				img, mask := Render(o, split, i, d)
				normal, none := Render(o, split, i, "")
				if none != nil {
					t.Fatalf("%s %s %d: a normal image has a mask", cat, d, i)
				}
				area := 0
				for j, v := range mask.Pix {
					if v != 0 && v != 255 {
						t.Fatalf("%s %s %d: mask pixel %d is %d, want 0 or 255", cat, d, i, j, v)
					}
					if v == 255 {
						area++
					}
				}
				inside, n := meanAbsDiff(img, normal, func(j int) bool { return mask.Pix[j] == 255 })
				outside, _ := meanAbsDiff(img, normal, func(j int) bool { return mask.Pix[j] == 0 })
				t.Logf("%s %s %d: mask %d px, mean |change| %.1f inside, %.3f outside", cat, d, i, n, inside, outside)
				if area == 0 || inside < 15 || inside < 20*outside {
					t.Errorf("%s %s %d: mask of %d px, mean |change| %.2f levels inside, %.3f outside; want area > 0, inside ≥ 15 and ≥ 20·outside",
						cat, d, i, area, inside, outside)
				}
			}
		}
	}
}

func TestNormalImagesDiffer(t *testing.T) {
	for _, cat := range Categories() {
		o := small(cat)
		var imgs []*image.RGBA
		for i := range 4 {
			img, _ := Render(o, "train/good", i, "")
			imgs = append(imgs, img)
		}
		all := func(int) bool { return true }
		for i := range imgs {
			for j := range i {
				// The pixel noise alone makes a mean difference of about
				// 0.015·255·2/√π ≈ 4.3 levels.
				if d, _ := meanAbsDiff(imgs[i], imgs[j], all); d < 10 {
					t.Errorf("%s: training images %d and %d differ by a mean %.2f levels, want ≥ 10", cat, j, i, d)
				}
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		edit func(*Options)
		want string
	}{
		{func(o *Options) { o.Category = "carpet" }, `unknown category "carpet": known categories are bracket, connector, metal_plate, pills, textile, tubes`},
		{func(o *Options) { o.Size = 15 }, "size 15: must be from 16 to 4096"},
		{func(o *Options) { o.Size = MaxSize + 1 }, "size 4097"},
		{func(o *Options) { o.Train = -1 }, "train -1: a count cannot be negative"},
		{func(o *Options) { o.TestGood = -2 }, "test-good -2"},
		{func(o *Options) { o.TestDefect = -3 }, "test-defect -3"},
	} {
		o := DefaultOptions()
		c.edit(&o)
		err := o.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", o, err, c.want)
		}
		if err := Generate(t.TempDir(), o, &bytes.Buffer{}); err == nil {
			t.Errorf("%+v: Generate accepted invalid options", o)
		}
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Errorf("default options: %v", err)
	}
}

// dilate returns the mask set where m or one of its 8 neighbours is.
func dilate(m *image.Gray) []bool {
	s := m.Rect.Dx()
	out := make([]bool, len(m.Pix))
	for i, v := range m.Pix {
		if v == 0 {
			continue
		}
		x, y := i%s, i/s
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < s && yy < s {
					out[yy*s+xx] = true
				}
			}
		}
	}
	return out
}

// TestDefectsChangeOnlyTheirMasks checks that a defective image is its
// normal counterpart (same scene, same noise) changed on its mask and the
// anti-aliased rim around it, and nowhere else: every mask is non-empty,
// at least 90 % of its pixels differ from the normal image, and every pixel
// that differs lies in the mask dilated by one pixel, except a few (at
// most 3 % of the mask's area over the sample) where a defect covers less
// than half of several pixels in a row: the tapered ends of scratches and
// a part's anti-aliased outline.
func TestDefectsChangeOnlyTheirMasks(t *testing.T) {
	for _, cat := range Categories() {
		o := small(cat)
		o.Size = 128
		for _, d := range DefectTypes(cat) {
			far, farMax, rim, area, changed := 0, 0, 0, 0, 0
			for i := range 6 {
				split := "test/" + d
				img, mask := Render(o, split, i, d)
				normal, none := Render(o, split, i, "")
				if mask == nil || none != nil {
					t.Fatalf("%s %s %d: masks %v (defective) and %v (normal), want one and none", cat, d, i, mask != nil, none != nil)
				}
				near := dilate(mask)
				before := area
				for j := range mask.Pix {
					change := 0
					for ch := range 3 {
						change = max(change, int(img.Pix[4*j+ch])-int(normal.Pix[4*j+ch]), int(normal.Pix[4*j+ch])-int(img.Pix[4*j+ch]))
					}
					switch {
					case mask.Pix[j] != 0:
						area++
						if change != 0 {
							changed++
						}
					case change == 0:
					case near[j]:
						rim++
					default:
						far++
						farMax = max(farMax, change)
					}
				}
				if area == before {
					t.Errorf("%s %s %d: empty mask", cat, d, i)
				}
			}
			t.Logf("%s %s: %d mask px (%d changed), %d changed px on the 1-px rim, %d beyond it (largest change %d levels)",
				cat, d, area, changed, rim, far, farMax)
			if float64(changed) < 0.9*float64(area) {
				t.Errorf("%s %s: %d of %d mask pixels changed, want ≥ 90 %%", cat, d, changed, area)
			}
			if float64(far) > 0.03*float64(area) {
				t.Errorf("%s %s: %d changed pixels more than 1 px from the mask (%d px), want ≤ 3 %% of it", cat, d, far, area)
			}
		}
	}
}

// TestTinyImagesHaveMasks renders every defect type of every category on
// images of 16 to 32 pixels, where parts are a few pixels across: each
// renders, and each mask is non-empty (Render redraws a defect that covers
// no pixel by half).
func TestTinyImagesHaveMasks(t *testing.T) {
	for _, size := range []int{16, 17, 20, 24, 32} {
		for _, cat := range Categories() {
			o := Options{Category: cat, Size: size, Seed: 3}
			for _, d := range DefectTypes(cat) {
				for i := range 20 {
					if _, m := Render(o, "test/"+d, i, d); !slices.Contains(m.Pix, 255) {
						t.Errorf("size %d, %s %s %d: empty mask", size, cat, d, i)
					}
				}
			}
		}
	}
}
