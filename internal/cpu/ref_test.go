package cpu

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

var _ backend.Backend = (*Backend)(nil)

// TestOpsAgainstPyTorch compares every primitive op with PyTorch's outputs.
func TestOpsAgainstPyTorch(t *testing.T) { testutil.PrimitiveOps(t, New()) }

// TestGaussianBlurAgainstPyTorch checks G_σ, edge replication included
// (σ = 8 has a radius of 24, wider than the 20×23 input).
func TestGaussianBlurAgainstPyTorch(t *testing.T) {
	ref := testutil.LoadRef(t, "ops.safetensors")
	for _, sigma := range backend.MSSSIMSigmas {
		name := fmt.Sprintf("gauss_%g", sigma)
		s, x := ref.Get(name + ".x")
		_, want := ref.Get(name + ".out")
		got := GaussianBlur(&Tensor{S: s, Data: x}, sigma, 2)
		testutil.Close(t, name, got.Data, want, testutil.OpAtol, testutil.OpRtol)
	}
}

// TestSSIMMapsAgainstPyTorch checks the MS-SSIM and L1 parts of the loss map.
func TestSSIMMapsAgainstPyTorch(t *testing.T) {
	ref := testutil.LoadRef(t, "ops.safetensors")
	s, x0 := ref.Get("lossmap.x0")
	_, xhat := ref.Get("lossmap.xhat")
	ms, l1 := SSIMMaps(&Tensor{S: s, Data: x0}, &Tensor{S: s, Data: xhat}, 2)
	_, wantMS := ref.Get("lossmap.msssim")
	_, wantL1 := ref.Get("lossmap.l1")
	testutil.Close(t, "msssim", ms.Data, wantMS, testutil.OpAtol, testutil.OpRtol)
	testutil.Close(t, "l1", l1.Data, wantL1, testutil.OpAtol, testutil.OpRtol)
}

// TestNoiseHash pins the counter-based generator to values computed by hand
// from the PCG hash definition.
func TestNoiseHash(t *testing.T) {
	if got := backend.PCGHash(0); got != 129708002 {
		t.Fatalf("PCGHash(0) = %d, want 129708002", got)
	}
}
