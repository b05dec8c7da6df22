package model

import (
	"fmt"
	"maps"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Training: the backward pass of the graph (graph.go), module by module in
// reverse, from the caches a forward pass with a tape returns. Gradients
// are returned as Params keyed by parameter name; every parameter is used
// once per forward pass, so each gets exactly one gradient tensor.

// ConvBackward is the backward pass of the Conv in c: from dy (the output's
// shape, freed here) it stores the weight's and the bias's gradients in
// grads and returns the input's gradient, or nil unless needDX.
func ConvBackward(be backend.Trainer, p Params, c ConvCache, dy backend.Tensor, needDX bool, grads Params) backend.Tensor {
	w := p[c.Name+".weight"]
	_, hasBias := p[c.Name+".bias"]
	dx, dw, db := be.Conv2DBackward(c.X, w, c.Y, dy, c.Act, hasBias, needDX)
	be.Free(dy)
	setGrad(grads, c.Name+".weight", dw)
	if hasBias {
		setGrad(grads, c.Name+".bias", db)
	}
	return dx
}

// setGrad stores parameter name's gradient; a second one is a bug in the
// backward pass.
func setGrad(grads Params, name string, g backend.Tensor) {
	if _, dup := grads[name]; dup {
		panic("model: second gradient for " + name)
	}
	grads[name] = g
}

// BlockBackward maps the output's gradient dOut (freed) to the input's and
// stores the block's parameter gradients in grads.
func BlockBackward(be backend.Trainer, p Params, c BlockCache, dOut backend.Tensor, grads Params) backend.Tensor {
	dh := ConvBackward(be, p, c.Conv2, dOut, true, grads)
	return ConvBackward(be, p, c.Conv1, dh, true, grads)
}

// RAMBackward maps the output's gradient dOut (freed) to the input's and
// stores the module's parameter gradients in grads. With attention, y feeds
// both the gate's product and mean_HW, so its gradient is the sum of both.
func RAMBackward(be backend.Trainer, p Params, c RAMCache, dOut backend.Tensor, grads Params) backend.Tensor {
	if !c.Attention {
		return ConvBackward(be, p, c.Proj, dOut, true, grads)
	}
	y := c.Proj.Y
	dy, dw := be.ChannelGateBackward(y, c.FC2.Y, dOut) // (N,b,H,W), (N,b,1,1)
	be.Free(dOut)
	dh := ConvBackward(be, p, c.FC2, dw, true, grads)
	ds := ConvBackward(be, p, c.FC1, dh, true, grads) // (N,b,1,1)
	dy = accumulate(be, dy, be.GlobalAvgPoolBackward(ds, y.Shape()))
	be.Free(ds)
	return ConvBackward(be, p, c.Proj, dy, true, grads)
}

// accumulate returns a + b (a may be nil: then b) and frees a and b.
func accumulate(be backend.Backend, a, b backend.Tensor) backend.Tensor {
	if a == nil {
		return b
	}
	sum := be.Add(a, b)
	be.Free(a)
	be.Free(b)
	return sum
}

// SKFFBackward maps the output's gradient dOut (freed) to the gradients of
// every o_i and stores the module's parameter gradients in grads. Each o_i
// reaches the output through the fusion and through mean_HW(Σ o_j).
func SKFFBackward(be backend.Trainer, p Params, c SKFFCache, dOut backend.Tensor, grads Params) []backend.Tensor {
	logits := make([]backend.Tensor, len(c.FCs))
	for i, fc := range c.FCs {
		logits[i] = fc.Y
	}
	dos, dlogits := be.SKFFFuseBackward(c.Os, logits, dOut)
	be.Free(dOut)
	var dz backend.Tensor
	for i, fc := range c.FCs {
		dz = accumulate(be, dz, ConvBackward(be, p, fc, dlogits[i], true, grads))
	}
	ds := ConvBackward(be, p, c.FC, dz, true, grads) // (N,c,1,1)
	for i, o := range c.Os {
		dos[i] = accumulate(be, dos[i], be.GlobalAvgPoolBackward(ds, o.Shape()))
	}
	be.Free(ds)
	return dos
}

// backward runs the network's backward pass from dxhat (N,3,S,S), the
// gradient of the loss with respect to x̂ (freed), and returns every
// parameter's gradient. Tensors that feed two consumers get the sum of
// both gradients: E_i (Down and the decoder's concat), D_i (Up and side_i).
// The input x needs no gradient, so the x_i pyramid has no backward pass.
func (m *Model) backward(be backend.Trainer, nc *netCache, dxhat backend.Tensor) Params {
	c, p := m.Cfg, m.params
	n := c.Depth
	grads := Params{}
	dFused := ConvBackward(be, p, nc.head, dxhat, true, grads)
	dos := SKFFBackward(be, p, nc.skff, dFused, grads)
	dD := make([]backend.Tensor, n)
	for i, do := range dos {
		if i > 0 {
			small := be.UpsampleBilinearBackward(do, 1<<i) // (N,wf,S/2^i,S/2^i)
			be.Free(do)
			do = small
		}
		dD[i] = ConvBackward(be, p, nc.side[i], do, true, grads)
	}
	// Decoder, in reverse of its forward order (i = 0 up to Depth−2): D_i's
	// gradient is complete once D_{i−1}'s Up has added its share.
	dE := make([]backend.Tensor, n)
	for i := 0; i <= n-2; i++ {
		dcat := RAMBackward(be, p, nc.dram[i], BlockBackward(be, p, nc.dblock[i], dD[i], grads), grads) // (N,2C_i,·,·)
		ci := c.Channels(i)
		dup := be.SliceChannels(dcat, 0, ci)
		dE[i] = be.SliceChannels(dcat, ci, 2*ci)
		be.Free(dcat)
		dps := ConvBackward(be, p, nc.up[i], dup, true, grads) // (N,C_{i+1}/4,2·,2·)
		dD[i+1] = accumulate(be, dD[i+1], be.PixelUnshuffle(dps))
		be.Free(dps)
	}
	// Encoder, from the deepest level: E_{Depth−1} is D_{Depth−1}; E_i's
	// gradient is complete once Down_{i+1} has added its share.
	dE[n-1] = dD[n-1]
	for i := n - 1; i >= 1; i-- {
		dcat := RAMBackward(be, p, nc.eram[i], BlockBackward(be, p, nc.eblock[i], dE[i], grads), grads) // (N,C_i+wf,·,·)
		ci := c.Channels(i)
		ddown := be.SliceChannels(dcat, 0, ci)
		dstem := be.SliceChannels(dcat, ci, ci+c.WF)
		be.Free(dcat)
		ConvBackward(be, p, nc.stem[i], dstem, false, grads)
		du := ConvBackward(be, p, nc.down[i], ddown, true, grads) // (N,4C_{i−1},·,·)
		dE[i-1] = accumulate(be, dE[i-1], be.PixelShuffle(du))
		be.Free(du)
	}
	ConvBackward(be, p, nc.stem[0], BlockBackward(be, p, nc.eblock[0], dE[0], grads), false, grads)
	return grads
}

// noised returns x0 noised with λ and seed, or x0 itself when λ = 0 (as
// Detect does).
func (m *Model) noised(x0 backend.Tensor, lambda float32, seed uint32) backend.Tensor {
	if lambda == 0 {
		return x0
	}
	return m.be.Noise(x0, lambda, seed)
}

// LossAndGrads noises x0 (N,3,S,S) in [−1,1] with λ and seed (λ = 0: no
// noise), reconstructs it and returns the training loss, the mean of the
// loss map LossMap(x0, x̂) over batch and pixels, with its gradient for
// every parameter, by name and in the parameter's shape (the caller frees
// them, or passes them to AdamW.Step). The model's backend must be a
// backend.Trainer.
func (m *Model) LossAndGrads(x0 backend.Tensor, lambda float32, seed uint32) (float32, Params, error) {
	be, ok := m.be.(backend.Trainer)
	if !ok {
		return 0, nil, fmt.Errorf("model: backend %s cannot train (not a backend.Trainer)", m.be.Name())
	}
	tp := NewTape(be)
	defer tp.Free()
	x := m.noised(x0, lambda, seed)
	if x != x0 {
		tp.keep(x)
	}
	xhat, nc := m.graph(x, tp)
	s := xhat.Shape()
	// one pass for the map (N,1,S,S) and its gradient (N,3,S,S)
	amap, dxhat := be.LossMapAndBackward(x0, xhat, m.Cfg.Alpha, 1/float32(s.N*s.H*s.W))
	perImage := be.GlobalAvgPool(amap) // (N,1,1,1)
	be.Free(amap)
	defer be.Free(perImage)
	grads := m.backward(be, nc, dxhat)
	loss, err := m.meanLoss(perImage)
	if err != nil {
		for _, g := range grads {
			be.Free(g)
		}
		return 0, nil, err
	}
	return loss, grads, nil
}

// Loss is LossAndGrads' loss without gradients (for validation); any
// backend will do.
func (m *Model) Loss(x0 backend.Tensor, lambda float32, seed uint32) (float32, error) {
	x := m.noised(x0, lambda, seed)
	xhat := m.Forward(x)
	if x != x0 {
		m.be.Free(x)
	}
	perImage := m.imageLosses(x0, xhat)
	m.be.Free(xhat)
	defer m.be.Free(perImage)
	return m.meanLoss(perImage)
}

// imageLosses is each image's mean loss map, (N,1,1,1).
func (m *Model) imageLosses(x0, xhat backend.Tensor) backend.Tensor {
	amap := m.be.LossMap(x0, xhat, m.Cfg.Alpha) // (N,1,S,S)
	defer m.be.Free(amap)
	return m.be.GlobalAvgPool(amap)
}

// meanLoss downloads the per-image losses (N,1,1,1) and returns their mean.
func (m *Model) meanLoss(perImage backend.Tensor) (float32, error) {
	v, err := m.be.Download(perImage)
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, l := range v {
		sum += float64(l)
	}
	return float32(sum / float64(len(v))), nil
}

// Params returns the model's parameter tensors by name (a new map; the
// tensors are the model's own, updated in place by AdamW).
func (m *Model) Params() Params { return maps.Clone(m.params) }

// HostParams downloads every parameter, by name, in PyTorch layout (the
// weights file's Params).
func (m *Model) HostParams() (map[string][]float32, error) {
	out := make(map[string][]float32, len(m.params))
	for name, t := range m.params {
		v, err := m.be.Download(t)
		if err != nil {
			return nil, fmt.Errorf("download %s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}
