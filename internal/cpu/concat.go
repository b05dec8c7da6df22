package cpu

import "github.com/noise2norm/noise2norm/internal/backend"

// Concat joins along channels: (N,Ca,H,W),(N,Cb,H,W) → (N,Ca+Cb,H,W).
func (b *Backend) Concat(x, y backend.Tensor) backend.Tensor {
	p, q := host(x), host(y)
	sp, sq := p.S, q.S
	out := b.alloc(backend.ConcatShape(sp, sq))
	a, c := sp.C*sp.H*sp.W, sq.C*sq.H*sq.W
	for n := 0; n < sp.N; n++ {
		copy(out.Data[n*(a+c):], p.Data[n*a:(n+1)*a])
		copy(out.Data[n*(a+c)+a:], q.Data[n*c:(n+1)*c])
	}
	return out
}
