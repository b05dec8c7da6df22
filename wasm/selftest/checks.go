//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/model"
)

// Tolerance of every check: |ref − got| ≤ atol + rtol·|ref|.
const (
	atol = 1e-4
	rtol = 1e-3
)

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
// on every backend, and returns its output tensor.
type opCheck struct {
	name string
	run  func(be backend.Backend) backend.Tensor
}

// checks are the ops compared, on small awkward shapes (SwiftShader is
// slow); the last two are a whole network forward, the second with every
// kernel already compiled.
var checks = []opCheck{
	{"Conv2D 3x3 bias ReLU", func(be backend.Backend) backend.Tensor {
		x := random(be, 1, backend.Shape{N: 2, C: 3, H: 7, W: 13}, -1, 1)
		w := random(be, 2, backend.Shape{N: 5, C: 3, H: 3, W: 3}, -0.5, 0.5)
		b := random(be, 3, backend.Shape{N: 1, C: 5, H: 1, W: 1}, -0.5, 0.5)
		defer free(be, x, w, b)
		return be.Conv2D(x, w, b, backend.ReLU) // out is (2,5,7,13)
	}},
	{"Conv2D 1x1 linear", func(be backend.Backend) backend.Tensor {
		x := random(be, 4, backend.Shape{N: 1, C: 6, H: 5, W: 9}, -1, 1)
		w := random(be, 5, backend.Shape{N: 7, C: 6, H: 1, W: 1}, -0.5, 0.5)
		defer free(be, x, w)
		return be.Conv2D(x, w, nil, backend.Linear) // out is (1,7,5,9)
	}},
	{"Conv2D 5x5 bias sigmoid", func(be backend.Backend) backend.Tensor {
		x := random(be, 20, backend.Shape{N: 1, C: 2, H: 6, W: 7}, -1, 1)
		w := random(be, 21, backend.Shape{N: 3, C: 2, H: 5, W: 5}, -0.3, 0.3)
		b := random(be, 22, backend.Shape{N: 1, C: 3, H: 1, W: 1}, -0.5, 0.5)
		defer free(be, x, w, b)
		return be.Conv2D(x, w, b, backend.Sigmoid) // out is (1,3,6,7)
	}},
	{"PixelShuffle", func(be backend.Backend) backend.Tensor {
		x := random(be, 6, backend.Shape{N: 1, C: 8, H: 5, W: 3}, -1, 1)
		defer free(be, x)
		return be.PixelShuffle(x) // out is (1,2,10,6)
	}},
	{"PixelUnshuffle", func(be backend.Backend) backend.Tensor {
		x := random(be, 7, backend.Shape{N: 2, C: 3, H: 6, W: 10}, -1, 1)
		defer free(be, x)
		return be.PixelUnshuffle(x) // out is (2,12,3,5)
	}},
	{"UpsampleBilinear x2", func(be backend.Backend) backend.Tensor {
		x := random(be, 8, backend.Shape{N: 1, C: 3, H: 5, W: 7}, -1, 1)
		defer free(be, x)
		return be.UpsampleBilinear(x, 2) // out is (1,3,10,14)
	}},
	{"UpsampleBilinear x4", func(be backend.Backend) backend.Tensor {
		x := random(be, 9, backend.Shape{N: 2, C: 2, H: 3, W: 5}, -1, 1)
		defer free(be, x)
		return be.UpsampleBilinear(x, 4) // out is (2,2,12,20)
	}},
	{"SKFFFuse 3 branches", func(be backend.Backend) backend.Tensor {
		s := backend.Shape{N: 1, C: 4, H: 6, W: 5}
		g := backend.Shape{N: 1, C: 4, H: 1, W: 1}
		os := []backend.Tensor{random(be, 10, s, -1, 1), random(be, 11, s, -1, 1), random(be, 12, s, -1, 1)}
		logits := []backend.Tensor{random(be, 13, g, -2, 2), random(be, 14, g, -2, 2), random(be, 15, g, -2, 2)}
		defer free(be, append(os, logits...)...)
		return be.SKFFFuse(os, logits) // out is (1,4,6,5)
	}},
	{"Noise", func(be backend.Backend) backend.Tensor {
		x0 := random(be, 16, backend.Shape{N: 1, C: 3, H: 9, W: 11}, -1, 1)
		defer free(be, x0)
		return be.Noise(x0, 0.3, 7) // out is (1,3,9,11)
	}},
	{"LossMap", func(be backend.Backend) backend.Tensor {
		s := backend.Shape{N: 1, C: 3, H: 20, W: 17}
		x0 := random(be, 17, s, -1, 1)
		xhat := random(be, 18, s, -1, 1)
		defer free(be, x0, xhat)
		return be.LossMap(x0, xhat, 0.84) // out is (1,1,20,17)
	}},
	{"Add chain of 300 (one batch past 256 dispatches)", func(be backend.Backend) backend.Tensor {
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
	}},
	{"network forward wf=4 depth=3 size=16", forward},
	{"network forward again (kernels compiled)", forward},
}

// forward runs a seeded random N2N-M network (wf=4, depth=3, size=16, with
// attention) on a seeded random image.
func forward(be backend.Backend) backend.Tensor {
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
func (c opCheck) compare(dev, ref backend.Backend) Check {
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
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > r.MaxDiff || i == 0 {
			r.MaxDiff, r.WorstAt, r.Got, r.Want = d, i, got[i], want[i]
		}
		if !(d <= atol+rtol*math.Abs(float64(want[i]))) {
			r.Bad++
		}
	}
	r.OK = r.Bad == 0
	if math.IsInf(r.MaxDiff, 1) {
		r.MaxDiff = math.MaxFloat64 // JSON has no infinity
	}
	return r
}

// output runs c on be and downloads its output, turning a panic into an
// error.
func (c opCheck) output(be backend.Backend) (out []float32, s backend.Shape, err error) {
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
