//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/backend/optest"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/internal/model"
)

// networkTol is the tolerance of the checks beyond the op table (a chain
// of Adds, whole networks): |ref − got| ≤ atol + rtol·|ref|.
var networkTol = optest.Tolerance{Atol: 1e-4, Rtol: 1e-3}

// Check is the outcome of one op (or network) run on the GPU and the CPU
// backend from the same inputs.
type Check struct {
	Name    string  `json:"name"`
	Shape   string  `json:"shape"`   // the output's (N,C,H,W)
	OK      bool    `json:"ok"`      // every value within tolerance
	Bad     int     `json:"bad"`     // values out of tolerance
	MaxDiff float64 `json:"maxDiff"` // the worst |ref − got| (MaxFloat64 for NaN)
	WorstAt int     `json:"worstAt"` // its flat index
	Got     float32 `json:"got"`     // the GPU's value there
	Want    float32 `json:"want"`    // the CPU's value there
	GPUMS   float64 `json:"gpuMs"`   // uploads, op, download (kernel compiles included)
	CPUMS   float64 `json:"cpuMs"`
	Err     string  `json:"err,omitempty"` // a device error or panic
}

// opCheck runs one op on a backend from inputs it makes itself, the same
// on every backend, and returns its output tensor, to be compared within
// tol.
type opCheck struct {
	name string
	run  func(be backend.Trainer) backend.Tensor
	tol  optest.Tolerance
}

// checks are the forward cases of the op table (optest.Cases, small
// awkward shapes), then a chain of Adds longer than a batch and a whole
// network forward twice, the second with every kernel already compiled.
var checks = append(append(tableChecks(), tiledConvChecks()...),
	opCheck{"Add chain of 300 (one batch past 256 dispatches)", addChain, networkTol},
	opCheck{"network forward wf=4 depth=3 size=16", forward, networkTol},
	opCheck{"network forward again (kernels compiled)", forward, networkTol},
)

// tableChecks turns every forward case of the op table into a check of
// its first output on the case's seeded inputs within the case's
// tolerance.
func tableChecks() []opCheck {
	var out []opCheck
	for i, c := range optest.Cases {
		if c.Backward {
			continue
		}
		ins := c.Inputs(uint64(1000 + 100*i))
		// WGSL bounds the error of transcendental functions only loosely
		// (cos within 2^-11 absolute), and SwiftShader uses that room
		// (Noise's Box–Muller), so the browser compares within the looser
		// of the case's tolerance and networkTol, as this self-test always
		// has.
		tol := c.Tol
		tol.Atol, tol.Rtol = max(tol.Atol, networkTol.Atol), max(tol.Rtol, networkTol.Rtol)
		out = append(out, opCheck{name: c.Op + " " + c.Name, tol: tol, run: func(be backend.Trainer) backend.Tensor {
			ts := make([]backend.Tensor, len(ins))
			for j, v := range ins {
				ts[j] = be.Upload(c.In[j].Shape, v)
			}
			defer free(be, ts...)
			return c.Run(be, ts)[0]
		}})
	}
	return out
}

// tiledConvChecks are the 3×3 Conv2D cases of the op table again with
// the WebGPU backend's "tiled" kernel family forced (conv3x3_tiled, the
// input staged in workgroup memory), which the browser does not choose by
// itself; on the CPU backend the family does not exist and the op runs as
// always.
func tiledConvChecks() []opCheck {
	var out []opCheck
	for _, c := range tableChecks() {
		if !strings.HasPrefix(c.name, "Conv2D ") || !strings.Contains(c.name, "/k3/") {
			continue
		}
		run := c.run
		out = append(out, opCheck{name: c.name + " (tiled kernels)", tol: c.tol, run: func(be backend.Trainer) backend.Tensor {
			if g, ok := be.(*gpu.Backend); ok {
				prev := g.ConvKernels()
				if err := g.SetConvKernels(gpu.ConvTiled); err != nil {
					panic(err)
				}
				defer g.SetConvKernels(prev)
			}
			return run(be)
		}})
	}
	return out
}

// addChain adds a small tensor 300 times, freeing as it goes: more
// dispatches than one batch has uniform slots.
func addChain(be backend.Trainer) backend.Tensor {
	s := backend.Shape{N: 1, C: 2, H: 3, W: 5}
	x := random(be, 23, s, -1, 1)
	y := random(be, 24, s, -0.01, 0.01)
	defer free(be, y)
	for range 300 {
		next := be.Add(x, y)
		be.Free(x)
		x = next
	}
	return x // out is (1,2,3,5)
}

// forward runs a seeded random N2N-M network (wf=4, depth=3, size=16, with
// attention) on a seeded random image.
func forward(be backend.Trainer) backend.Tensor {
	cfg := model.Config{WF: 4, Depth: 3, Size: 16, Lambda: 0.3, Alpha: 0.84, Attention: true}
	m, err := model.New(be, &model.Weights{Config: cfg, Params: model.InitParams(cfg, 1)})
	if err != nil {
		panic(err)
	}
	defer m.Free()
	x := random(be, 19, backend.Shape{N: 1, C: 3, H: 16, W: 16}, -1, 1)
	defer free(be, x)
	return m.Forward(x) // out is (1,3,16,16)
}

// compare runs c on dev and on ref and compares the outputs.
func (c opCheck) compare(dev, ref backend.Trainer) Check {
	r := Check{Name: c.name}
	start := time.Now()
	got, s, err := c.output(dev)
	r.GPUMS = ms(time.Since(start))
	if err != nil {
		r.Err = "gpu: " + err.Error()
		return r
	}
	start = time.Now()
	want, _, err := c.output(ref)
	r.CPUMS = ms(time.Since(start))
	if err != nil {
		r.Err = "cpu: " + err.Error()
		return r
	}
	r.Shape = s.String()
	if len(got) != len(want) {
		r.Err = fmt.Sprintf("gpu gave %d values, cpu %d", len(got), len(want))
		return r
	}
	d := optest.Compare(got, want, c.tol)
	r.Bad, r.MaxDiff, r.WorstAt = d.Bad, d.Worst, d.WorstAt
	r.Got, r.Want = got[d.WorstAt], want[d.WorstAt]
	r.OK = d.OK()
	if math.IsInf(r.MaxDiff, 1) {
		r.MaxDiff = math.MaxFloat64 // JSON has no infinity
	}
	return r
}

// output runs c on be and downloads its output, turning a panic into an
// error.
func (c opCheck) output(be backend.Trainer) (out []float32, s backend.Shape, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	t := c.run(be)
	defer be.Free(t)
	out, err = be.Download(t)
	return out, t.Shape(), err
}

// random uploads seeded uniform values in [lo, hi) of shape s.
func random(be backend.Backend, seed uint64, s backend.Shape, lo, hi float32) backend.Tensor {
	rng := rand.New(rand.NewPCG(seed, 0x5e1f))
	v := make([]float32, s.Len())
	for i := range v {
		v[i] = lo + (hi-lo)*rng.Float32()
	}
	return be.Upload(s, v)
}

// free frees every tensor of ts.
func free(be backend.Backend, ts ...backend.Tensor) {
	for _, t := range ts {
		be.Free(t)
	}
}
