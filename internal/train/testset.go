package train

import (
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/noise2norm/noise2norm/internal/imageio"
)

// GoodDefect is the defect type of a normal test image.
const GoodDefect = "good"

// VisADefect is the defect type of every anomalous VisA image read from
// split_csv/1cls.csv, which does not name the defect.
const VisADefect = "anomaly"

// TestImage is one image of a test set.
type TestImage struct {
	Path      string
	Defect    string // GoodDefect, the defect folder's name, or VisADefect
	Anomalous bool
	MaskPath  string // the ground-truth mask; "" for normal images and when none was found
}

// TestSet is the test split of one category.
type TestSet struct {
	Category string
	Images   []TestImage // sorted by defect type, then path
	// MissingMasks counts the anomalous images without a ground-truth mask;
	// pixel metrics need it to be 0.
	MissingMasks int
}

// Counts returns the numbers of normal and anomalous images.
func (t *TestSet) Counts() (good, defect int) {
	for _, im := range t.Images {
		if im.Anomalous {
			defect++
		} else {
			good++
		}
	}
	return good, defect
}

// DefectTypes lists the defect types of the anomalous images, sorted.
func (t *TestSet) DefectTypes() []string {
	var types []string
	for _, im := range t.Images {
		if im.Anomalous && !slices.Contains(types, im.Defect) {
			types = append(types, im.Defect)
		}
	}
	slices.Sort(types)
	return types
}

// TestCategories lists the categories of a data folder that have a test
// split: the objects of a VisA split file, the sub-folders c with c/test of
// an MVTec AD/MPDD root, or "" for a category folder (one with test/).
func TestCategories(dir string) ([]string, error) {
	if !isDir(dir) {
		return nil, fmt.Errorf("data folder %s: not a folder", dir)
	}
	csvPath := filepath.Join(dir, visaSplit)
	if _, err := os.Stat(csvPath); err == nil {
		rows, err := readVisASplit(csvPath)
		if err != nil {
			return nil, err
		}
		var objs []string
		for _, r := range rows {
			if r.split == "test" && !slices.Contains(objs, r.object) {
				objs = append(objs, r.object)
			}
		}
		slices.Sort(objs)
		if len(objs) == 0 {
			return nil, fmt.Errorf("%s has no test rows", csvPath)
		}
		return objs, nil
	}
	if isDir(filepath.Join(dir, "test")) {
		return []string{""}, nil
	}
	entries, _ := os.ReadDir(dir)
	var cats []string
	for _, e := range entries {
		if e.IsDir() && isDir(filepath.Join(dir, e.Name(), "test")) {
			cats = append(cats, e.Name())
		}
	}
	if len(cats) == 0 {
		return nil, fmt.Errorf("%s holds no test split: expected CATEGORY/test/ (MVTec AD, MPDD, anomalib's VisA), test/ (a category folder) or %s (VisA)", dir, visaSplit)
	}
	return cats, nil
}

// FindTestSet lists the test images of a category with their labels, defect
// types and masks:
//   - VisA: dir/split_csv/1cls.csv exists; its rows with split "test" and
//     object category, label "normal" or "anomaly", mask paths from the
//     "mask" column; paths relative to dir;
//   - MVTec AD, MPDD and anomalib's converted VisA: dir/category/test/TYPE/
//     (TYPE "good" is normal), masks dir/category/ground_truth/TYPE/NAME_mask.*
//     (MVTec AD, MPDD) or NAME.* (anomalib's VisA) for the image NAME.*;
//   - category empty: dir itself is the category folder.
//
// Errors name the missing category (and list those there are) or the empty
// folder.
func FindTestSet(dir, category string) (*TestSet, error) {
	if !isDir(dir) {
		return nil, fmt.Errorf("data folder %s: not a folder", dir)
	}
	csvPath := filepath.Join(dir, visaSplit)
	if _, err := os.Stat(csvPath); err == nil {
		return visaTestSet(dir, csvPath, category)
	}
	root := dir
	if category != "" {
		root = filepath.Join(dir, category)
	}
	test := filepath.Join(root, "test")
	if !isDir(test) {
		msg := fmt.Sprintf("no test split %s", test)
		if category != "" {
			msg = fmt.Sprintf("no category %q: expected %s (MVTec AD/MPDD layout) or %s (VisA)", category, test, csvPath)
		}
		if cats, err := TestCategories(dir); err == nil && !slices.Equal(cats, []string{""}) {
			msg += "; categories here: " + strings.Join(cats, ", ")
		}
		return nil, errors.New(msg)
	}
	entries, err := os.ReadDir(test)
	if err != nil {
		return nil, err
	}
	ts := &TestSet{Category: category}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		paths, err := imagesIn(filepath.Join(test, e.Name()))
		if err != nil {
			return nil, err // names the empty folder
		}
		anomalous := e.Name() != GoodDefect
		for _, p := range paths {
			im := TestImage{Path: p, Defect: e.Name(), Anomalous: anomalous}
			if anomalous {
				im.MaskPath = findMask(filepath.Join(root, "ground_truth", e.Name()), p)
				if im.MaskPath == "" {
					ts.MissingMasks++
				}
			}
			ts.Images = append(ts.Images, im)
		}
	}
	if len(ts.Images) == 0 {
		return nil, fmt.Errorf("%s has no defect-type folders (good/, and one per defect type)", test)
	}
	return ts, nil
}

// findMask is the mask of image path in folder gt: NAME_mask.EXT or
// NAME.EXT for an image extension EXT (png first), or "" if none exists.
func findMask(gt, path string) string {
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	for _, stem := range []string{name + "_mask", name} {
		for _, ext := range []string{".png", ".PNG", ".bmp", ".tif", ".tiff", ".jpg", ".JPG"} {
			p := filepath.Join(gt, stem+ext)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
		}
	}
	return ""
}

// visaRow is one row of a VisA split file.
type visaRow struct{ object, split, label, image, mask string }

// readVisASplit reads a VisA split file: columns object, split, label,
// image and (optional) mask, found by the header's names.
func readVisASplit(csvPath string) ([]visaRow, error) {
	f, err := os.Open(csvPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", csvPath, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, want := range []string{"object", "split", "label", "image"} {
		if _, ok := col[want]; !ok {
			return nil, fmt.Errorf("%s: no column %q in the header %q", csvPath, want, strings.Join(header, ","))
		}
	}
	maskCol, hasMask := col["mask"]
	var rows []visaRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", csvPath, err)
		}
		row := visaRow{object: rec[col["object"]], split: rec[col["split"]], label: rec[col["label"]], image: rec[col["image"]]}
		if hasMask {
			row.mask = strings.TrimSpace(rec[maskCol])
		}
		rows = append(rows, row)
	}
}

// visaTestSet is FindTestSet for a VisA split file.
func visaTestSet(dir, csvPath, category string) (*TestSet, error) {
	if category == "" {
		return nil, fmt.Errorf("%s is a VisA split: choose objects with -category", csvPath)
	}
	rows, err := readVisASplit(csvPath)
	if err != nil {
		return nil, err
	}
	ts := &TestSet{Category: category}
	var objects []string
	for _, r := range rows {
		if !slices.Contains(objects, r.object) {
			objects = append(objects, r.object)
		}
		if r.object != category || r.split != "test" {
			continue
		}
		im := TestImage{Path: filepath.Join(dir, filepath.FromSlash(r.image)), Defect: GoodDefect}
		if r.label != "normal" {
			im.Defect, im.Anomalous = VisADefect, true
			if r.mask != "" {
				im.MaskPath = filepath.Join(dir, filepath.FromSlash(r.mask))
			} else {
				ts.MissingMasks++
			}
		}
		ts.Images = append(ts.Images, im)
	}
	if len(ts.Images) == 0 {
		slices.Sort(objects)
		return nil, fmt.Errorf("%s has no test rows for object %q; objects: %s", csvPath, category, strings.Join(objects, ", "))
	}
	slices.SortStableFunc(ts.Images, func(a, b TestImage) int {
		return strings.Compare(a.Defect+"\x00"+a.Path, b.Defect+"\x00"+b.Path)
	})
	return ts, nil
}

// LoadMask reads a ground-truth mask as size×size booleans (row-major):
// true where the mask is above 0 in any channel, resized with nearest
// neighbour (source pixel floor(dst·in/size), as PyTorch's "nearest").
func LoadMask(path string, size, maxPixels int) ([]bool, error) {
	img, err := imageio.LoadRGB(path, maxPixels)
	if err != nil {
		return nil, err
	}
	return BinariseMask(img, size), nil
}

// BinariseMask is LoadMask's conversion of a decoded mask.
func BinariseMask(img image.Image, size int) []bool {
	b := img.Bounds()
	out := make([]bool, size*size)
	for y := range size {
		sy := b.Min.Y + y*b.Dy()/size
		for x := range size {
			sx := b.Min.X + x*b.Dx()/size
			r, g, bl, _ := img.At(sx, sy).RGBA()
			out[y*size+x] = r > 0 || g > 0 || bl > 0
		}
	}
	return out
}
