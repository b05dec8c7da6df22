package train

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/noise2norm/noise2norm/internal/imageio"
)

// visaSplit is the VisA split file, relative to the data folder.
var visaSplit = filepath.Join("split_csv", "1cls.csv")

// FindImages lists the normal training images of a data set, sorted:
//   - VisA: dir/split_csv/1cls.csv exists; the rows with split "train",
//     label "normal" and object category, image paths relative to dir;
//   - MVTec AD and MPDD: the image files of dir/category/train/good;
//   - category empty: dir/train/good when dir is a category folder, else
//     the image files of dir itself.
//
// Folders are not searched recursively. Errors say which path was expected
// and, when category is wrong, which categories dir holds.
func FindImages(dir, category string) ([]string, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("data folder %s is not a folder", dir)
	}
	csvPath := filepath.Join(dir, visaSplit)
	if _, err := os.Stat(csvPath); err == nil {
		return visaImages(dir, csvPath, category)
	}
	if category != "" {
		good := filepath.Join(dir, category, "train", "good")
		if _, err := os.Stat(good); err != nil {
			msg := fmt.Sprintf("no category %q: expected %s (MVTec AD/MPDD layout) or %s (VisA)", category, good, csvPath)
			if cats := mvtecCategories(dir); len(cats) > 0 {
				msg += "; categories here: " + strings.Join(cats, ", ")
			}
			return nil, errors.New(msg)
		}
		return imagesIn(good)
	}
	if good := filepath.Join(dir, "train", "good"); isDir(good) {
		return imagesIn(good)
	}
	if cats := mvtecCategories(dir); len(cats) > 0 {
		return nil, fmt.Errorf("%s holds the categories %s: choose one with -category", dir, strings.Join(cats, ", "))
	}
	return imagesIn(dir)
}

// isDir reports whether path is an existing folder.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// mvtecCategories lists the sub-folders c of dir that have c/train/good.
func mvtecCategories(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var cats []string
	for _, e := range entries {
		if e.IsDir() && isDir(filepath.Join(dir, e.Name(), "train", "good")) {
			cats = append(cats, e.Name())
		}
	}
	return cats
}

// imagesIn lists the files of dir with an image extension, sorted; an empty
// folder is an error naming it.
func imagesIn(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	var paths []string
	for _, e := range entries {
		if !e.IsDir() && imageio.HasImageExt(e.Name()) {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no images (png, jpeg, bmp, tiff, webp) in %s", dir)
	}
	return paths, nil
}

// visaImages lists the normal training images of object category in the
// VisA split file (readVisASplit).
func visaImages(dir, csvPath, category string) ([]string, error) {
	if category == "" {
		return nil, fmt.Errorf("%s is a VisA split: choose an object with -category", csvPath)
	}
	rows, err := readVisASplit(csvPath)
	if err != nil {
		return nil, err
	}
	objects := map[string]bool{}
	var paths []string
	for _, r := range rows {
		objects[r.object] = true
		if r.object == category && r.split == "train" && r.label == "normal" {
			paths = append(paths, filepath.Join(dir, filepath.FromSlash(r.image)))
		}
	}
	if len(paths) == 0 {
		names := make([]string, 0, len(objects))
		for o := range objects {
			names = append(names, o)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%s has no train/normal rows for object %q; objects: %s", csvPath, category, strings.Join(names, ", "))
	}
	sort.Strings(paths)
	return paths, nil
}

// Dataset is the decoded training data: each image as a (3,S,S) CHW tensor
// in [−1,1], split into training and validation sets.
type Dataset struct {
	Dir        string // the data folder
	Size       int
	Train, Val [][]float32
	// TrainPaths and ValPaths name the images of Train and Val.
	TrainPaths, ValPaths []string
}

// LoadImages decodes every path (LoadRGB with the pixel limit, ToTensor at
// size) on all cores. An image that cannot be read is named on warn and
// skipped; it is an error when none is left. The result keeps the order of
// paths.
func LoadImages(paths []string, size, maxPixels int, warn io.Writer) (tensors [][]float32, loaded []string, err error) {
	out := make([][]float32, len(paths))
	errs := make([]error, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				img, err := imageio.LoadRGB(paths[i], maxPixels)
				if err != nil {
					errs[i] = err
					continue
				}
				out[i] = imageio.ToTensor(img, size)
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, p := range paths {
		if errs[i] != nil {
			fmt.Fprintf(warn, "skipping %s: %v\n", p, errs[i])
			continue
		}
		tensors = append(tensors, out[i])
		loaded = append(loaded, p)
	}
	if len(tensors) == 0 {
		return nil, nil, fmt.Errorf("none of the %d images could be read", len(paths))
	}
	return tensors, loaded, nil
}

// Split divides n items into validation and training index sets, each
// sorted: round(valFrac·n) items, at least 1 and at most n−1, chosen by a
// shuffle seeded with seed. n must be at least 2. valFrac 0 puts every item
// in training.
func Split(n int, valFrac float64, seed uint64) (train, val []int, err error) {
	if valFrac == 0 && n >= 1 {
		return rangeInts(n), nil, nil
	}
	if n < 2 {
		return nil, nil, fmt.Errorf("%d training image(s): need at least 2 (one to train on, one to validate with)", n)
	}
	nVal := min(max(int(valFrac*float64(n)+0.5), 1), n-1)
	perm := rand.New(rand.NewPCG(seed, splitStream)).Perm(n)
	val = slices.Clone(perm[:nVal])
	train = slices.Clone(perm[nVal:])
	slices.Sort(val)
	slices.Sort(train)
	return train, val, nil
}

// Random streams: the second PCG word of each use of the seed, so the
// split, the shuffles and the noise draw independent numbers.
const (
	splitStream   = 0x73706c6974 // "split"
	shuffleStream = 0x73687566   // "shuf"
)

// LoadDataset finds, decodes and splits the images of dir/category (see
// FindImages, LoadImages, Split).
func LoadDataset(dir, category string, size, maxPixels int, valFrac float64, seed uint64, warn io.Writer) (*Dataset, error) {
	paths, err := FindImages(dir, category)
	if err != nil {
		return nil, err
	}
	tensors, loaded, err := LoadImages(paths, size, maxPixels, warn)
	if err != nil {
		return nil, err
	}
	tr, va, err := Split(len(tensors), valFrac, seed)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Dir: dir, Size: size}
	for _, i := range tr {
		d.Train = append(d.Train, tensors[i])
		d.TrainPaths = append(d.TrainPaths, loaded[i])
	}
	for _, i := range va {
		d.Val = append(d.Val, tensors[i])
		d.ValPaths = append(d.ValPaths, loaded[i])
	}
	return d, nil
}

// Fingerprint is a hash of the training and validation file lists (paths
// relative to the data folder), which a checkpoint records so that a resumed
// run can tell whether its data changed.
func (d *Dataset) Fingerprint() string {
	h := fnv.New64a()
	for _, set := range []struct {
		tag   string
		paths []string
	}{{"t", d.TrainPaths}, {"v", d.ValPaths}} {
		for _, p := range set.paths {
			if rel, err := filepath.Rel(d.Dir, p); err == nil {
				p = rel
			}
			fmt.Fprintf(h, "%s %s\n", set.tag, filepath.ToSlash(p))
		}
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// Bytes is the memory the decoded tensors take.
func (d *Dataset) Bytes() int64 {
	return int64(len(d.Train)+len(d.Val)) * 3 * int64(d.Size) * int64(d.Size) * 4
}

// Shuffle returns the order in which epoch (0-based) visits n training
// images: a permutation that depends only on seed and epoch, so a resumed
// run repeats it.
func Shuffle(n int, seed uint64, epoch int) []int {
	return rand.New(rand.NewPCG(seed+uint64(epoch), shuffleStream)).Perm(n)
}

// rangeInts is 0, 1, …, n−1.
func rangeInts(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
