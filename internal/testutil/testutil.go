// Package testutil holds the comparisons and reference-file loading that
// the backends' and the model's tests share.
package testutil

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/backend/optest"
	"github.com/noise2norm/noise2norm/internal/safetensors"
)

// Close checks |want−got| ≤ atol + rtol·|want| elementwise (optest.Compare)
// and fails t naming the first bad index, both values, the count of bad
// elements and the worst difference.
func Close(t testing.TB, what string, got, want []float32, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	if d := optest.Compare(got, want, optest.Tolerance{Atol: atol, Rtol: rtol}); !d.OK() {
		t.Error(d.Error(what))
	}
}

// RelErr is the normalised error ‖got−want‖₂ / ‖want‖₂ (for whole-network
// and reduction outputs).
func RelErr(got, want []float32) float64 {
	return optest.Compare(got, want, optest.Exact).RelErr
}

// Random returns n seeded uniform values in [lo, hi).
func Random(seed uint64, n int, lo, hi float32) []float32 { return optest.Random(seed, n, lo, hi) }

// RepoRoot is the repository's root directory, found from this file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// RefPath is a path under testdata/ref/.
func RefPath(parts ...string) string {
	return filepath.Join(append([]string{RepoRoot(), "testdata", "ref"}, parts...)...)
}

// Ref is a loaded reference file.
type Ref struct {
	t    testing.TB
	path string
	*safetensors.File
}

// LoadRef reads testdata/ref/<parts...>, failing t if it cannot.
func LoadRef(t testing.TB, parts ...string) *Ref {
	t.Helper()
	p := RefPath(parts...)
	f, err := safetensors.ReadFile(p)
	if err != nil {
		t.Fatalf("reference outputs: %v (regenerate with /usr/bin/python3 testdata/make_reference.py)", err)
	}
	return &Ref{t: t, path: p, File: f}
}

// Get returns tensor name's data and its shape as a backend.Shape.
func (r *Ref) Get(name string) (backend.Shape, []float32) {
	r.t.Helper()
	tt, ok := r.Tensors[name]
	if !ok {
		r.t.Fatalf("%s: no tensor %q", r.path, name)
	}
	s, err := backend.ShapeOf(tt.Shape)
	if err != nil {
		r.t.Fatalf("%s: tensor %q: %v", r.path, name, err)
	}
	return s, tt.Data
}

// Upload puts tensor name on be.
func (r *Ref) Upload(be backend.Backend, name string) backend.Tensor {
	r.t.Helper()
	s, d := r.Get(name)
	return be.Upload(s, d)
}

// Download reads t back from be, failing on a device error.
func Download(t testing.TB, be backend.Backend, x backend.Tensor) []float32 {
	t.Helper()
	d, err := be.Download(x)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	return d
}
