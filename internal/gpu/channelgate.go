package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// ChannelGate returns y + y⊙w for y (N,C,H,W) and per-channel weights w
// (N,C,1,1); out is (N,C,H,W).
func (b *Backend) ChannelGate(y, w backend.Tensor) backend.Tensor {
	yt, wt := tensorOf(y), tensorOf(w)
	s := yt.s
	if wt.s != (backend.Shape{N: s.N, C: s.C, H: 1, W: 1}) {
		panic(fmt.Sprintf("gpu: ChannelGate of %v by %v", s, wt.s))
	}
	out := b.newTensor(s)
	n := s.Len()
	channelGateKernel.run(b, b.grid1D((n+3)/4), planesParams{N: uint32(n), HW: uint32(s.H * s.W)}, yt, wt, out)
	return out
}

// planesParams is the Params of the kernels over runs of 4 values of NCHW
// planes (lib/runs_of_4.wgsl): n values, planes of hw.
type planesParams struct{ N, HW uint32 }

var channelGateKernel = defineKernel[planesParams]("channel_gate", Read, Read, ReadWrite)
