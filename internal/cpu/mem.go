package cpu

import (
	"fmt"
	"sync"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// memPool recycles float32 buffers by length: Free hands a tensor's buffer
// back, and the next op that needs a buffer of that length takes it instead
// of allocating (and zeroing) a new one. Ops also take their scratch from it.
// It counts the bytes handed out and not yet returned (live) and their
// high-water mark (peak). Idle buffers are kept up to three times the peak:
// a pass needs buffers of more sizes than are live at any one time (with a
// cap of one peak, a wf 16 batch 4 training step missed 90 buffers, 350 MiB,
// per step; with two, none; a wf 32 forward at batch 1 holds 94 MiB of idle
// buffers against a 51 MiB peak and missed one 8 MiB buffer per pass with
// two, none with three). The cap only bounds what is kept: the pool holds
// no more than the buffers a pass asked for.
type memPool struct {
	mu               sync.Mutex
	free             map[int][][]float32 // idle buffers by length
	live, peak, idle int64               // bytes
}

func newMemPool() *memPool { return &memPool{free: map[int][][]float32{}} }

// get returns a buffer of n floats with unspecified contents.
func (p *memPool) get(n int) []float32 {
	if p == nil || n == 0 {
		return make([]float32, n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live += 4 * int64(n)
	p.peak = max(p.peak, p.live)
	if l := p.free[n]; len(l) > 0 {
		buf := l[len(l)-1]
		l[len(l)-1] = nil
		p.free[n] = l[:len(l)-1]
		p.idle -= 4 * int64(n)
		return buf
	}
	return make([]float32, n)
}

// put returns a buffer that get handed out; the caller must not use it again.
func (p *memPool) put(buf []float32) {
	n := len(buf)
	if p == nil || n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live -= 4 * int64(n)
	if p.idle+4*int64(n) > 3*p.peak {
		return // over the idle budget: left to the garbage collector
	}
	p.free[n] = append(p.free[n], buf[:n:n])
	p.idle += 4 * int64(n)
}

// MemStats are the CPU backend's tensor and scratch memory, in bytes.
type MemStats struct {
	Live int64 // handed out by ops and Upload, not yet freed
	Peak int64 // the high-water mark of Live since New or ResetPeak
	Idle int64 // freed, kept for reuse
}

// MemStats reports the memory the backend's tensors and op scratch hold.
// Tensors dropped without Free stay counted in Live.
func (b *Backend) MemStats() MemStats {
	p := b.mem
	if p == nil {
		return MemStats{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return MemStats{Live: p.live, Peak: p.peak, Idle: p.idle}
}

// ResetPeak sets the high-water mark to the bytes live now.
func (b *Backend) ResetPeak() {
	if p := b.mem; p != nil {
		p.mu.Lock()
		p.peak = p.live
		p.mu.Unlock()
	}
}

// alloc returns a tensor of shape s with unspecified contents, for ops that
// write every element.
func (b *Backend) alloc(s backend.Shape) *Tensor {
	return &Tensor{S: s, Data: b.mem.get(s.Len())}
}

// zeros returns a zero tensor of shape s, for ops that accumulate into it or
// leave elements unwritten.
func (b *Backend) zeros(s backend.Shape) *Tensor {
	t := b.alloc(s)
	clear(t.Data)
	return t
}

// scratch returns n floats of unspecified contents; give them back with
// release.
func (b *Backend) scratch(n int) []float32 { return b.mem.get(n) }

// release gives back a buffer from scratch.
func (b *Backend) release(buf []float32) { b.mem.put(buf) }

// Free returns t's memory to the backend's pool; t must not be used again
// (its Data is set to nil, so a use after Free fails loudly).
func (b *Backend) Free(t backend.Tensor) {
	if t == nil {
		return
	}
	h := host(t)
	if h == nil || h.Data == nil {
		return
	}
	if !h.view {
		b.mem.put(h.Data)
	}
	h.Data = nil
}

// Alloc returns a tensor of shape s with unspecified contents (see
// backend.ChannelWriter).
func (b *Backend) Alloc(s backend.Shape) backend.Tensor { return b.alloc(s) }

// ChannelView returns channels [c0,c1) of x (N = 1) as a tensor sharing
// x's memory (see backend.ChannelWriter).
func (b *Backend) ChannelView(x backend.Tensor, c0, c1 int) backend.Tensor {
	h := host(x)
	s := h.S
	if s.N != 1 || c0 < 0 || c1 > s.C || c0 > c1 {
		panic(fmt.Sprintf("cpu: ChannelView [%d,%d) of %v (want N = 1)", c0, c1, s))
	}
	plane := s.H * s.W
	return &Tensor{S: backend.Shape{N: 1, C: c1 - c0, H: s.H, W: s.W}, Data: h.Data[c0*plane : c1*plane : c1*plane], view: true}
}
