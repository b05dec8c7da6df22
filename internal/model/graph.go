package model

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// The network's forward pass, written once for inference and training.
//
// A graph runs the ops of N2N-M on a backend. Without a tape (inference)
// every activation is freed as soon as the last op that reads it has been
// recorded, which keeps browser memory low. With a tape (training) every
// activation stays alive on the tape instead, and each module returns a
// cache naming the tensors its backward pass (train.go) reads. The ops and
// their order are the same either way, so both give the same numbers.
//
// Ownership: a module "consumes" its input (its caller no longer reads it)
// and returns a new tensor; graph.out registers a new activation and
// graph.done marks one as no longer read by the forward pass.

// Tape owns the tensors that a forward pass keeps for its backward pass.
type Tape struct {
	be    backend.Backend
	owned []backend.Tensor
}

// NewTape returns an empty tape whose tensors live on be.
func NewTape(be backend.Backend) *Tape { return &Tape{be: be} }

// keep adds t to the tape and returns it.
func (tp *Tape) keep(t backend.Tensor) backend.Tensor {
	tp.owned = append(tp.owned, t)
	return t
}

// Free releases every tensor on the tape.
func (tp *Tape) Free() {
	for _, t := range tp.owned {
		tp.be.Free(t)
	}
	tp.owned = nil
}

// graph runs the network's modules on be with parameters p, keeping
// activations on tp when it is not nil. cw, when not nil, is be as a
// backend.ChannelWriter: then convolutions whose outputs are concatenated
// write them straight into the concatenation (inference at batch 1 only).
type graph struct {
	be backend.Backend
	p  Params
	tp *Tape
	cw backend.ChannelWriter
	// uf, when not nil, is be as a backend.UpsampleFuser: SKFF then reads
	// the side outputs upsampled on the fly (inference only).
	uf backend.UpsampleFuser
}

// out registers t, a new activation: kept on the tape when training.
func (g *graph) out(t backend.Tensor) backend.Tensor {
	if g.tp != nil {
		g.tp.keep(t)
	}
	return t
}

// done says the forward pass reads ts no more: freed in inference, left on
// the tape in training. Only tensors made by out may be passed.
func (g *graph) done(ts ...backend.Tensor) {
	if g.tp == nil {
		for _, t := range ts {
			g.be.Free(t)
		}
	}
}

// ConvCache is what ConvBackward needs of one convolution: its input X,
// its output Y (both NCHW) and its activation. Caches are valid only for a
// pass with a tape.
type ConvCache struct {
	Name string
	X, Y backend.Tensor
	Act  backend.Activation
}

// conv applies the convolution name with act to x (not consumed).
func (g *graph) conv(name string, x backend.Tensor, act backend.Activation) (backend.Tensor, ConvCache) {
	y := g.out(Conv(g.be, g.p, name, x, act, false))
	return y, ConvCache{Name: name, X: x, Y: y, Act: act}
}

// convInto applies the convolution name with act to x (not consumed),
// writing its output into channels [c0, c0+Cout) of dst (with g.cw only).
func (g *graph) convInto(name string, x backend.Tensor, act backend.Activation, dst backend.Tensor, c0 int) {
	w, ok := g.p[name+".weight"]
	if !ok {
		panic("model: no parameter " + name + ".weight")
	}
	view := g.cw.ChannelView(dst, c0, c0+w.Shape().N)
	g.cw.Conv2DInto(view, x, w, g.p[name+".bias"], act)
	g.be.Free(view)
}

// BlockCache is what BlockBackward needs of one Block.
type BlockCache struct{ Conv1, Conv2 ConvCache }

// block is Block(C): conv3 → ReLU → conv3 → ReLU; consumes x.
func (g *graph) block(name string, x backend.Tensor) (backend.Tensor, BlockCache) {
	h, c1 := g.conv(name+".conv1", x, backend.ReLU)
	g.done(x)
	out, c2 := g.conv(name+".conv2", h, backend.ReLU)
	g.done(h)
	return out, BlockCache{c1, c2}
}

// blockInto is block writing its output into channels [c0, c0+C) of dst
// (with g.cw only) and returning that channel view (the caller frees it).
func (g *graph) blockInto(name string, x backend.Tensor, dst backend.Tensor, c0 int) backend.Tensor {
	h, _ := g.conv(name+".conv1", x, backend.ReLU)
	g.done(x)
	c := h.Shape().C
	g.convInto(name+".conv2", h, backend.ReLU, dst, c0)
	g.done(h)
	return g.cw.ChannelView(dst, c0, c0+c)
}

// RAMCache is what RAMBackward needs of one RAM: the convolutions'
// caches; with attention, Proj.Y is y, FC1.X is mean_HW y and FC2.Y the
// gate w (N,b,1,1).
type RAMCache struct {
	Attention      bool
	Proj, FC1, FC2 ConvCache
}

// ram is RAM(a→b) on x (N,a,H,W) (see RAM); consumes x.
func (g *graph) ram(name string, x backend.Tensor, attention bool) (backend.Tensor, RAMCache) {
	c := RAMCache{Attention: attention}
	var y backend.Tensor
	y, c.Proj = g.conv(name+".proj", x, backend.Linear)
	g.done(x)
	if !attention {
		return y, c
	}
	s := g.out(g.be.GlobalAvgPool(y)) // (N,b,1,1)
	var h, w backend.Tensor
	h, c.FC1 = g.conv(name+".fc1", s, backend.ReLU) // (N,h,1,1)
	g.done(s)
	w, c.FC2 = g.conv(name+".fc2", h, backend.Sigmoid) // (N,b,1,1)
	g.done(h)
	out := g.out(g.be.ChannelGate(y, w))
	g.done(y, w)
	return out, c
}

// SKFFCache is what SKFFBackward needs of one SKFF: the fused maps, the
// caches of fc (FC.X is Σ mean_HW o_i) and of every fcs[i] (whose outputs
// are the logits).
type SKFFCache struct {
	Os  []backend.Tensor
	FC  ConvCache
	FCs []ConvCache
}

// skff is SKFF(c, n) over os (n maps of (N,c,S,S)), out (N,c,S,S);
// consumes os. mean_HW(Σ o_i) is computed as Σ mean_HW(o_i); the partial
// sums are freed either way (the backward pass needs only the total).
// With g.uf, fs[i] is the factor os[i] is still to be upsampled by (1: it
// is (N,c,S,S) already), which the ops reading it apply on the fly; fs is
// nil otherwise.
func (g *graph) skff(os []backend.Tensor, fs []int) (backend.Tensor, SKFFCache) {
	be := g.be
	var s backend.Tensor
	for i, o := range os {
		var m backend.Tensor // (N,c,1,1)
		if fs != nil && fs[i] > 1 {
			m = g.uf.GlobalAvgPoolUpsampled(o, fs[i])
		} else {
			m = be.GlobalAvgPool(o)
		}
		if s == nil {
			s = m
			continue
		}
		sum := be.Add(s, m)
		be.Free(s)
		be.Free(m)
		s = sum
	}
	c := SKFFCache{Os: os, FCs: make([]ConvCache, len(os))}
	var z backend.Tensor
	z, c.FC = g.conv("skff.fc", g.out(s), backend.ReLU) // (N,d,1,1)
	g.done(s)
	logits := make([]backend.Tensor, len(os))
	for i := range os {
		logits[i], c.FCs[i] = g.conv(fmt.Sprintf("skff.fcs.%d", i), z, backend.Linear) // (N,c,1,1)
	}
	g.done(z)
	var fused backend.Tensor
	if fs != nil {
		fused = g.uf.SKFFFuseUpsampled(os, fs, logits)
	} else {
		fused = be.SKFFFuse(os, logits)
	}
	out := g.out(fused)
	g.done(os...)
	g.done(logits...)
	return out, c
}

// netCache holds what the model's backward pass needs of a forward pass,
// by level.
type netCache struct {
	stem, down, up, side []ConvCache
	eram, dram           []RAMCache
	eblock, dblock       []BlockCache
	skff                 SKFFCache
	head                 ConvCache
}

// graph runs the network on x (N,3,S,S), which it neither frees nor puts
// on the tape, and returns x̂ (N,3,S,S). With tp nil (inference) x̂ is the
// caller's to free and the cache is not valid; with a tape, x̂ and every
// activation belong to tp, and the cache holds what backward needs.
func (m *Model) graph(x backend.Tensor, tp *Tape) (backend.Tensor, *netCache) {
	c, be := m.Cfg, m.be
	s := x.Shape()
	if s.C != 3 || s.H != c.Size || s.W != c.Size {
		panic(fmt.Sprintf("model: input %v, want (N,3,%d,%d)", s, c.Size, c.Size))
	}
	g := &graph{be: be, p: m.params, tp: tp}
	if cw, ok := be.(backend.ChannelWriter); ok && tp == nil && s.N == 1 {
		g.cw = cw
	}
	if uf, ok := be.(backend.UpsampleFuser); ok && tp == nil {
		g.uf = uf
	}
	n := c.Depth
	nc := &netCache{
		stem: make([]ConvCache, n), down: make([]ConvCache, n), up: make([]ConvCache, n), side: make([]ConvCache, n),
		eram: make([]RAMCache, n), dram: make([]RAMCache, n), eblock: make([]BlockCache, n), dblock: make([]BlockCache, n),
	}
	// Scales x_i and encoder E_i.
	xs := []backend.Tensor{x}
	for i := 1; i < n; i++ {
		xs = append(xs, g.out(be.AvgPool2(xs[i-1]))) // (N,3,S/2^i,S/2^i)
	}
	E := make([]backend.Tensor, n)
	// With g.cw, E_i (i < n−1) is written into the second half of the
	// decoder's concatenation dcat[i] (N,2C_i,·,·), allocated here, and
	// E[i] is a view of it; the decoder writes up_i into the first half.
	dcat := make([]backend.Tensor, n)
	eblock := func(i int, r backend.Tensor) {
		name := fmt.Sprintf("eblock.%d", i)
		if g.cw == nil || i == n-1 {
			E[i], nc.eblock[i] = g.block(name, r)
			return
		}
		ci, side := c.Channels(i), c.Size>>i
		dcat[i] = g.cw.Alloc(backend.Shape{N: s.N, C: 2 * ci, H: side, W: side})
		E[i] = g.blockInto(name, r, dcat[i], ci)
	}
	stem0, sc := g.conv("stem.0", x, backend.Linear)
	nc.stem[0] = sc
	eblock(0, stem0)
	for i := 1; i < n; i++ {
		var r backend.Tensor
		pu := g.out(be.PixelUnshuffle(E[i-1])) // (N,4C_{i−1},·,·)
		var cat backend.Tensor                 // (N,C_i+wf,·,·)
		if g.cw != nil {
			side := c.Size >> i
			cat = g.cw.Alloc(backend.Shape{N: s.N, C: c.Channels(i) + c.WF, H: side, W: side})
			g.convInto(fmt.Sprintf("down.%d", i), pu, backend.Linear, cat, 0)
			g.convInto(fmt.Sprintf("stem.%d", i), xs[i], backend.Linear, cat, c.Channels(i))
			g.done(pu, xs[i])
		} else {
			var down, stem backend.Tensor
			down, nc.down[i] = g.conv(fmt.Sprintf("down.%d", i), pu, backend.Linear) // (N,C_i,·,·)
			g.done(pu)
			stem, nc.stem[i] = g.conv(fmt.Sprintf("stem.%d", i), xs[i], backend.Linear) // (N,wf,·,·)
			g.done(xs[i])
			cat = g.out(be.Concat(down, stem))
			g.done(down, stem)
		}
		r, nc.eram[i] = g.ram(fmt.Sprintf("eram.%d", i), cat, c.Attention)
		eblock(i, r)
	}
	// Decoder D_i; E_i is released once D_i's concat has read it.
	D := make([]backend.Tensor, n)
	D[n-1] = E[n-1]
	for i := n - 2; i >= 0; i-- {
		var r, cat backend.Tensor            // cat (N,2C_i,·,·)
		ps := g.out(be.PixelShuffle(D[i+1])) // (N,C_{i+1}/4,·,·)
		if g.cw != nil {
			cat = dcat[i]
			g.convInto(fmt.Sprintf("up.%d", i), ps, backend.Linear, cat, 0)
			g.done(ps, E[i])
		} else {
			var up backend.Tensor
			up, nc.up[i] = g.conv(fmt.Sprintf("up.%d", i), ps, backend.Linear) // (N,C_i,·,·)
			g.done(ps)
			cat = g.out(be.Concat(up, E[i]))
			g.done(up, E[i])
		}
		r, nc.dram[i] = g.ram(fmt.Sprintf("dram.%d", i), cat, c.Attention)
		D[i], nc.dblock[i] = g.block(fmt.Sprintf("dblock.%d", i), r)
	}
	// Side outputs o_i at full resolution, fused by SKFF, then the head.
	// With g.uf, o_i stays at S/2^i and SKFF upsamples it as it reads it.
	os := make([]backend.Tensor, n)
	var fs []int
	if g.uf != nil {
		fs = make([]int, n)
	}
	for i := range os {
		o, side := g.conv(fmt.Sprintf("side.%d", i), D[i], backend.Linear) // (N,wf,S/2^i,S/2^i)
		nc.side[i] = side
		g.done(D[i])
		switch {
		case fs != nil:
			fs[i] = 1 << i
		case i > 0:
			up := g.out(be.UpsampleBilinear(o, 1<<i)) // (N,wf,S,S)
			g.done(o)
			o = up
		}
		os[i] = o
	}
	fused, sk := g.skff(os, fs)
	nc.skff = sk
	xhat, head := g.conv("head", fused, backend.Linear) // (N,3,S,S)
	g.done(fused)
	nc.head = head
	return xhat, nc
}
