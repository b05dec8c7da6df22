package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// The flip cache: Conv2DBackward's input gradient is Conv2D(g, wf) with
// wf (Cin,Cout,k,k) the channel-swapped, spatially flipped weights
// (conv_flip). Like the repack cache (repack.go) it keeps a weight
// tensor's wf while the weights keep the version wf was made from; wf's
// own repack for conv1x1/conv3x3 is then cached by the repack cache under
// wf, so a later backward with unchanged weights records neither the flip
// nor the repack. An entry is freed with its weights, when a write into
// the weights is recorded (written: AdamW's update), by
// DropRepackedWeights and by Close.
//
// A flip is cached only on the second backward that meets the same
// weights unchanged: the first flips into a scratch tensor, freed once
// recorded, and notes the weights' version (flipSeen). In this project's
// training loop every weight is used once per forward and updated after
// each backward, so nothing is ever reused there, and caching on first use
// would hold a flipped copy and its repack of every weight (about twice
// the weights' bytes) through each backward for nothing; this way the
// loop holds no more than before. When the backward runs several times
// between updates (several LossAndGrads per AdamW step, input-gradient
// probes), the third and later ones reuse the cached flip and repack.

// flipEntry is the flipped layout of one weight tensor.
type flipEntry struct {
	wf      *Tensor // (Cin,Cout,k,k), conv_flip.wgsl's layout
	version uint64  // the weights' version wf was recorded from
}

// flippedWeights returns wf (Cin,Cout,k,k), the flipped weights of w
// (Cout,Cin,k,k) for the input gradient, and whether the caller owns it
// (must free it once recorded): the cached one while w's version is the
// one it was made from, else a new flip, cached if the previous flip of w
// was made from the same version (and the cache is on).
func (b *Backend) flippedWeights(w *Tensor) (wf *Tensor, owned bool) {
	if e, ok := b.flipped[w]; ok {
		if e.version == w.version || b.flipIgnoresWrites {
			return e.wf, false
		}
		b.dropFlip(w)
	}
	seen, again := b.flipSeen[w]
	again = again && (seen == w.version || b.flipIgnoresWrites)
	b.flipSeen[w] = w.version
	s := w.s
	// wf is (Cin,Cout,k,k)
	wf = b.newTensor(backend.Shape{N: s.C, C: s.N, H: s.H, W: s.W})
	n := s.Len()
	convFlipKernel.run(b, b.grid1D(n), convFlipParams{N: uint32(n), Cout: uint32(s.N), Cin: uint32(s.C), KK: uint32(s.H * s.W)}, w, wf)
	if b.noRepackCache || !again {
		return wf, true
	}
	b.flipped[w] = flipEntry{wf: wf, version: w.version}
	return wf, false
}

// dropFlip frees the cached flip of w (and, through Free, its repack), if
// any. Commands already recorded that read it still see it.
func (b *Backend) dropFlip(w *Tensor) {
	if e, ok := b.flipped[w]; ok {
		delete(b.flipped, w)
		b.Free(e.wf)
	}
}
