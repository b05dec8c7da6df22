// Package optest is the one table of op cases that every backend's tests
// share: each case names an op, its seeded random inputs (awkward shapes:
// odd channel counts, batch 2, element counts that are not multiples of a
// workgroup, planes smaller than a kernel's run), how to run it, and its
// tolerance; optionally the ops.safetensors tensors PyTorch wrote for it
// (Ref) and inputs at network size for benchmarks (Bench). The cases of an
// op's forward pass and of its backward sit together.
//
// Consumers: testutil.PrimitiveOps (every backend against PyTorch, the
// cases with a Ref), internal/gpu's TestOps (WebGPU against the CPU
// backend, every case, also with folded grids) and BenchmarkOps (the cases
// with Bench), and the browser self-test (wasm/selftest, the forward
// cases). Compare is the one tolerance comparison for all of them.
//
// The package has no testing dependency, so the WASM self-test can link it.
package optest

import (
	"fmt"
	"math/rand/v2"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Input is one seeded random input, uniform in [Lo, Hi).
type Input struct {
	Shape  backend.Shape
	Lo, Hi float32
}

// Ref names the PyTorch reference of a case in testdata/ref/ops.safetensors:
// inputs Name+"."+In[i] in Run's order and output Name+"."+Out.
type Ref struct {
	Name string
	In   []string
	Out  string
}

// Case is one op on seeded random inputs.
type Case struct {
	Op   string // the backend method it runs
	Name string // unique in the table: op/variant
	In   []Input
	// Prep, if set, shapes the random inputs before the run (to keep SSIM
	// terms away from 0, say).
	Prep func(in [][]float32)
	// Run runs the op on tensors of the inputs and returns its outputs in
	// a fixed order; an absent output (a gradient not asked for) is nil
	// and must be nil on every backend. Outputs may alias inputs (AdamW
	// updates in place).
	Run func(b backend.Trainer, in []backend.Tensor) []backend.Tensor
	Tol Tolerance
	// OutTol, if set, is the tolerance of each output in Run's order (for
	// an op whose outputs are of different kinds); Tol applies otherwise.
	OutTol []Tolerance
	// Backward marks an op of backend.Trainer (a gradient or AdamW).
	Backward bool
	// Ref, if set, is the case's PyTorch reference; Run applies to its
	// tensors as to the random ones.
	Ref *Ref
	// Bench, if set, are input shapes at network size (level 0 of N2N-M at
	// S = 256) for the per-op benchmarks.
	Bench []backend.Shape
}

// Sh is the shape (n, c, h, w).
func Sh(n, c, h, w int) backend.Shape { return backend.Shape{N: n, C: c, H: h, W: w} }

// Random returns n seeded uniform values in [lo, hi).
func Random(seed uint64, n int, lo, hi float32) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*rng.Float32()
	}
	return v
}

// Inputs returns the case's host inputs for seed: input j from seed+j,
// then passed through Prep.
func (c Case) Inputs(seed uint64) [][]float32 {
	ins := make([][]float32, len(c.In))
	for j, x := range c.In {
		ins[j] = Random(seed+uint64(j), x.Shape.Len(), x.Lo, x.Hi)
	}
	if c.Prep != nil {
		c.Prep(ins)
	}
	return ins
}

// Output is one output of a run on the host; Values is nil for an absent
// output.
type Output struct {
	Shape  backend.Shape
	Values []float32
}

// RunOn uploads ins (of shapes shapes) to be, runs c and downloads its
// outputs, freeing every tensor it made; a panic of the op (a shape the
// backend refuses) comes back as an error.
func (c Case) RunOn(be backend.Trainer, shapes []backend.Shape, ins [][]float32) (outs []Output, err error) {
	ts := make([]backend.Tensor, len(ins))
	for i, v := range ins {
		ts[i] = be.Upload(shapes[i], v)
	}
	var res []backend.Tensor
	defer func() {
		freed := map[backend.Tensor]bool{}
		for _, t := range append(ts, res...) {
			if t != nil && !freed[t] {
				freed[t] = true
				be.Free(t)
			}
		}
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: panic: %v", c.Name, p)
		}
	}()
	res = c.Run(be, ts)
	outs = make([]Output, len(res))
	for i, o := range res {
		if o == nil {
			continue
		}
		v, err := be.Download(o)
		if err != nil {
			return nil, fmt.Errorf("%s: output %d: %w", c.Name, i, err)
		}
		outs[i] = Output{Shape: o.Shape(), Values: v}
	}
	return outs, nil
}

// Shapes is the shapes of the case's random inputs.
func (c Case) Shapes() []backend.Shape {
	s := make([]backend.Shape, len(c.In))
	for i, x := range c.In {
		s[i] = x.Shape
	}
	return s
}

// CompareOutputs compares the outputs of a run (got) with the reference
// backend's (want) under the case's tolerance and returns one message per
// problem (empty when they agree): a nil output on one side only, a shape,
// or values out of tolerance. Diffs holds the comparison of each output
// present on both sides.
func (c Case) CompareOutputs(got, want []Output) (problems []string, diffs []Diff) {
	if len(got) != len(want) {
		return []string{fmt.Sprintf("%s: %d outputs, want %d", c.Name, len(got), len(want))}, nil
	}
	for k := range want {
		what := fmt.Sprintf("%s output %d", c.Name, k)
		if (want[k].Values == nil) != (got[k].Values == nil) {
			problems = append(problems, fmt.Sprintf("%s: nil on one backend only (reference %v, got %v)", what, want[k].Values == nil, got[k].Values == nil))
			continue
		}
		if want[k].Values == nil {
			continue
		}
		if got[k].Shape != want[k].Shape {
			problems = append(problems, fmt.Sprintf("%s: shape %v, want %v", what, got[k].Shape, want[k].Shape))
			continue
		}
		tol := c.Tol
		if k < len(c.OutTol) {
			tol = c.OutTol[k]
		}
		d := Compare(got[k].Values, want[k].Values, tol)
		diffs = append(diffs, d)
		if !d.OK() {
			problems = append(problems, d.Error(what))
		}
	}
	return problems, diffs
}
