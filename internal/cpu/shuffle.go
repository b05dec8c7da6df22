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

// shuffle moves data between big (N,C,2h,2w) and small (N,4C,h,w) in PixelUnshuffle's
// index order: small → big when toBig, else big → small.
func shuffle(threads int, big, small *Tensor, toBig bool) {
	bs, ss := big.S, small.S
	parallel(threads, ss.N*ss.C, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			n, c := nc/ss.C, nc%ss.C
			bc, dy, dx := c/4, (c/2)%2, c%2
			sp := small.Data[nc*ss.H*ss.W:]
			bp := big.Data[(n*bs.C+bc)*bs.H*bs.W:]
			for y := 0; y < ss.H; y++ {
				// row y of the small plane is every other value of row
				// 2y+dy of the big one, from dx
				srow := sp[y*ss.W : (y+1)*ss.W]
				brow := bp[(2*y+dy)*bs.W+dx : (2*y+dy+1)*bs.W]
				if toBig {
					for x, v := range srow {
						brow[2*x] = v
					}
				} else {
					for x := range srow {
						srow[x] = brow[2*x]
					}
				}
			}
		}
	})
}
