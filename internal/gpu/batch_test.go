//go:build !js

package gpu_test

import (
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/internal/testutil"
	"github.com/noise2norm/noise2norm/native"
)

// TestFoldedGrids reruns the op table with the per-dimension workgroup
// limit lowered to 3, so that every grid is folded into (x, y) and the
// kernels' index arithmetic over num_workgroups is exercised.
func TestFoldedGrids(t *testing.T) {
	defer dev.LimitGroupsPerDim(3)()
	TestOps(t)
}

// TestChainedBatch records more dispatches than one batch has uniform
// slots (a chain of 300 Adds, freeing as it goes, with no readback in
// between) and checks the sum: parameters and recycled buffers of one
// batch must not leak into another.
func TestChainedBatch(t *testing.T) {
	s := backend.Shape{N: 2, C: 3, H: 5, W: 7}
	x := testutil.Random(1, s.Len(), -1, 1)
	one := dev.Upload(s, x)
	acc := dev.Upload(s, x)
	const steps = 300
	for range steps {
		next := dev.Add(acc, one)
		dev.Free(acc)
		acc = next
	}
	got, err := dev.Download(acc)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, len(x))
	for i, v := range x {
		for range steps + 1 {
			want[i] += v
		}
	}
	testutil.Close(t, "300 chained adds", got, want, 1e-4, 1e-5)
	dev.Free(one)
	dev.Free(acc)
}

// TestUploadAfterFree frees an input right after recording the op that
// reads it and uploads new data of the same size (which recycles the
// buffer): the op must still see the old data.
func TestUploadAfterFree(t *testing.T) {
	s := backend.Shape{N: 1, C: 3, H: 4, W: 5}
	x := testutil.Random(2, s.Len(), -1, 1)
	xt := dev.Upload(s, x)
	y := dev.Activate(xt, backend.Linear)
	dev.Free(xt)
	other := dev.Upload(s, make([]float32, s.Len()))
	got, err := dev.Download(y)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Close(t, "linear of a freed, recycled input", got, x, 0, 0)
	dev.Free(y)
	dev.Free(other)
}

// TestDeviceErrorReported compiles invalid WGSL on a device of its own and
// expects Download to report it rather than return plausible numbers.
func TestDeviceErrorReported(t *testing.T) {
	b, err := native.Open(native.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	x := b.Upload(backend.Shape{N: 1, C: 1, H: 1, W: 4}, []float32{1, 2, 3, 4})
	b.CompileForTest("broken", "@compute @workgroup_size(1) fn main() { let v: u32 = 1.5; }", x.(*gpu.Tensor))
	got, err := b.Download(x)
	if err == nil {
		t.Fatalf("Download after a WGSL error returned %v and no error", got)
	}
	if !strings.Contains(err.Error(), "broken") {
		t.Errorf("error %q does not name the kernel", err)
	}
	t.Logf("reported: %v", err)
}
