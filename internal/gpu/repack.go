package gpu

// The repack cache: Conv2D's GPU-path kernels (conv1x1, conv3x3) read the
// weights in conv_repack's layout, and a model's weights stay the same
// from one forward to the next, so each weight tensor's repack is kept
// until the weights change or are freed.
//
// Validity rests on versions: every tensor gets a fresh version from the
// backend's counter when it is created (a buffer reused from the pool
// included) and another whenever a recorded command writes into it: any
// dispatch binding it read_write (AdamW's in-place update, every kernel's
// output) or a buffer copy into it (written). A cached repack records the
// version of the weights it was made from and is used only while the
// weights still have it; the write that makes it stale also frees it (a
// training step then holds no stale copy). Entries are keyed by the *Tensor, which Free
// drops along with the entry, so a buffer the pool hands to a new tensor
// never meets an old entry. Commands are recorded in order, so a repack
// recorded before a write reads the old weights and one recorded after it
// the new ones, whatever the batches.

// repackEntry is the repacked layout of one weight tensor.
type repackEntry struct {
	wp      *Tensor // conv_repack.wgsl's layout of the weights
	cout4   int     // vec4 groups per (ci, tap) row of wp
	version uint64  // the weights' version wp was recorded from
}

// nextVersion hands out a tensor version never handed out before.
func (b *Backend) nextVersion() uint64 {
	b.versions++
	return b.versions
}

// written records that a command writing into t has been recorded: t's
// contents get a new version, and a cached repack or flip of t goes stale
// and is freed now (commands already recorded that read it still see it),
// so that a training step holds no stale copy of its weights.
func (b *Backend) written(t *Tensor) {
	t.version = b.nextVersion()
	if b.flipIgnoresWrites {
		return
	}
	if len(b.repacked) > 0 {
		b.dropRepack(t)
	}
	if len(b.flipped) > 0 {
		b.dropFlip(t)
	}
}

// cachedRepack returns the repacked layout of the weights w (Cout,Cin,k,k)
// for conv1x1/conv3x3 and its vec4 groups per row: the cached one while
// w's version is the one it was made from, else a new repack (recorded
// now, replacing a stale entry). The caller must not free wp.
func (b *Backend) cachedRepack(w *Tensor) (wp *Tensor, cout4 int) {
	if e, ok := b.repacked[w]; ok {
		if e.version == w.version {
			return e.wp, e.cout4
		}
		b.dropRepack(w)
	}
	wp, cout4 = b.repackConvWeights(w)
	b.repacked[w] = repackEntry{wp: wp, cout4: cout4, version: w.version}
	return wp, cout4
}

// dropRepack frees the cached repack of w, if any. Commands already
// recorded that read it still see it (Free's guarantee).
func (b *Backend) dropRepack(w *Tensor) {
	if e, ok := b.repacked[w]; ok {
		delete(b.repacked, w)
		b.Free(e.wp)
	}
}

// DropRepackedWeights frees every cached weight repack and flip (about the
// bytes of the weights of the convolutions run on the GPU-path kernels
// since they were loaded or last updated, and twice that for those whose
// backward ran). Later convolutions repack and flip again as needed.
// Close calls it; freeing a weight tensor frees its own repack.
func (b *Backend) DropRepackedWeights() {
	for w := range b.flipped {
		b.dropFlip(w)
	}
	for w := range b.repacked {
		b.dropRepack(w)
	}
}
