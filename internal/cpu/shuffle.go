package cpu

import "github.com/noise2norm/noise2norm/internal/backend"

// PixelUnshuffle ×2: (N,C,H,W) → (N,4C,H/2,W/2) with
// out[n, c·4+dy·2+dx, y, x] = in[n, c, 2y+dy, 2x+dx] (PyTorch's order).
func (b *Backend) PixelUnshuffle(x backend.Tensor) backend.Tensor {
	in := host(x)
	s := in.S
	out := b.alloc(backend.UnshuffleShape(s))
	shuffle(b.Threads, in, out, false)
	return out
}

// PixelShuffle ×2: (N,4C,H,W) → (N,C,2H,2W), the inverse of PixelUnshuffle.
func (b *Backend) PixelShuffle(x backend.Tensor) backend.Tensor {
	in := host(x)
	s := in.S
	out := b.alloc(backend.ShuffleShape(s))
	shuffle(b.Threads, out, in, true)
	return out
}

// shuffle moves data between big (N,C,2h,2w) and small (N,4C,h,w) in
// PixelUnshuffle's index order: small → big when toBig, else big → small.
// Small channels c·4+dy·2 and c·4+dy·2+1 (dx = 0 and 1) hold the even and odd
// values of big channel c's rows 2y+dy; each such pair is one work item.
func shuffle(threads int, big, small *Tensor, toBig bool) {
	bs, ss := big.S, small.S
	parallel(threads, ss.N*ss.C/2, func(lo, hi int) {
		for pair := lo; pair < hi; pair++ {
			nc := 2 * pair // small channel (n, c) with dx = 0
			n, c := nc/ss.C, nc%ss.C
			bc, dy := c/4, (c/2)%2
			even, odd := small.Data[nc*ss.H*ss.W:], small.Data[(nc+1)*ss.H*ss.W:]
			bp := big.Data[(n*bs.C+bc)*bs.H*bs.W:]
			for y := 0; y < ss.H; y++ {
				e, o := even[y*ss.W:(y+1)*ss.W], odd[y*ss.W:(y+1)*ss.W]
				brow := bp[(2*y+dy)*bs.W : (2*y+dy+1)*bs.W]
				if toBig {
					interleave(brow, e, o)
				} else {
					deinterleave(e, o, brow)
				}
			}
		}
	})
}
