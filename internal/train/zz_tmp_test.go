package train

import (
	"os"
	"testing"
	"time"

	"github.com/noise2norm/noise2norm/native"
)

func TestZZGPUStep(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	be, err := native.Open(native.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	p, _ := PresetNamed(os.Getenv("ZZ"))
	tensors, names := syntheticNormals(20, p.Size)
	ds, _ := NewDataset(tensors, names, p.Size, 0.2, 1)
	s, err := NewSession(be, p.Options(1, 0.2), ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if s.EpochDone() {
			t0 := time.Now()
			s.EndEpoch(t.Context())
			t.Logf("val %v", time.Since(t0))
		}
		t0 := time.Now()
		r, err := s.Step()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("step %d loss %.5f %v created %d MB", i, r.Loss, time.Since(t0), be.CreatedBytes()>>20)
	}
}
