// Package cpu is the plain-Go backend: the slow, obviously right reference
// that every GPU kernel is checked against, and the fallback where WebGPU is
// missing. It builds for every GOOS/GOARCH, js/wasm included.
package cpu

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Tensor is a host tensor: Data holds S.Len() float32 in NCHW order.
type Tensor struct {
	S    backend.Shape
	Data []float32
	// view marks a ChannelView: Data belongs to another tensor, and Free
	// does not return it to the pool.
	view bool
}

// Shape returns the tensor's NCHW shape.
func (t *Tensor) Shape() backend.Shape { return t.S }

// NewTensor returns a zero tensor of shape s.
func NewTensor(s backend.Shape) *Tensor { return &Tensor{S: s, Data: make([]float32, s.Len())} }

// Backend is the CPU backend. Threads bounds the goroutines an op uses.
// Its tensors' memory comes from a pool that Free refills (see mem.go); a
// Backend made without New allocates afresh for every tensor.
type Backend struct {
	Threads int
	mem     *memPool
}

// New returns a CPU backend using all cores.
func New() *Backend { return &Backend{Threads: runtime.GOMAXPROCS(0), mem: newMemPool()} }

// Name reports "cpu".
func (b *Backend) Name() string { return "cpu" }

// Upload copies data into a new tensor.
func (b *Backend) Upload(s backend.Shape, data []float32) backend.Tensor {
	if len(data) != s.Len() {
		panic(fmt.Sprintf("cpu: upload of %d values into shape %v", len(data), s))
	}
	t := b.alloc(s)
	copy(t.Data, data)
	return t
}

// Download returns a copy of t's data.
func (b *Backend) Download(t backend.Tensor) ([]float32, error) {
	return append([]float32(nil), host(t).Data...), nil
}

// host unwraps a backend tensor that must belong to this backend.
func host(t backend.Tensor) *Tensor {
	h, ok := t.(*Tensor)
	if !ok {
		panic(fmt.Sprintf("cpu: tensor %T is not a CPU tensor", t))
	}
	return h
}

// parallel runs f(lo, hi) over [0, n) split into at most threads chunks.
func parallel(threads, n int, f func(lo, hi int)) {
	if threads < 1 {
		threads = 1
	}
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for t := 0; t < threads; t++ {
		lo, hi := n*t/threads, n*(t+1)/threads
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

func mustSameShape(op string, a, b backend.Shape) {
	if a != b {
		panic(fmt.Sprintf("cpu: %s: shapes %v and %v differ", op, a, b))
	}
}
