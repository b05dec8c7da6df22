package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// ChannelGateBackward returns the gradients of out = y + y⊙w for y
// (N,C,H,W), w (N,C,1,1) and dOut (N,C,H,W): dy = dOut⊙(1+w) (N,C,H,W)
// and dw[n,c] = Σ_hw dOut·y (N,C,1,1).
func (b *Backend) ChannelGateBackward(y, w, dOut backend.Tensor) (dy, dw backend.Tensor) {
	yt, wt, dt := tensorOf(y), tensorOf(w), tensorOf(dOut)
	s := yt.s
	if wt.s != (backend.Shape{N: s.N, C: s.C, H: 1, W: 1}) {
		panic(fmt.Sprintf("gpu: ChannelGateBackward of %v by %v", s, wt.s))
	}
	mustSameShape("ChannelGateBackward", s, dt.s)
	dyt := b.newTensor(s)
	n := s.Len()
	channelGateBackwardKernel.run(b, b.grid1D((n+3)/4), planesParams{N: uint32(n), HW: uint32(s.H * s.W)}, dt, wt, dyt)
	dwt := b.newTensor(wt.s)
	b.planeDot(dt, yt, dwt, 0)
	return dyt, dwt
}

// planeDot records out[offset + plane] = Σ_hw a·b over the N·C planes of a
// and b (N,C,H,W).
func (b *Backend) planeDot(a, c, out *Tensor, offset int) {
	s := a.s
	planes := s.N * s.C
	planeDotKernel.run(b, b.groups(planes), planeDotParams{Planes: uint32(planes), HW: uint32(s.H * s.W), Offset: uint32(offset)}, a, c, out)
}

var channelGateBackwardKernel = defineKernel[planesParams]("channel_gate_backward", Read, Read, ReadWrite)

// planeDotParams is plane_dot.wgsl's Params.
type planeDotParams struct{ Planes, HW, Offset uint32 }

var planeDotKernel = defineKernel[planeDotParams]("plane_dot", Read, Read, ReadWrite)
