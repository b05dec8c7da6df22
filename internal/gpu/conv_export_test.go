package gpu

import "maps"

// UseCPUKernels makes Conv2D run the kernels tuned for CPU adapters (on)
// or those for GPUs (off) whatever the adapter, and returns the function
// that restores the choice, so that tests cover both sets of kernels.
func (b *Backend) UseCPUKernels(on bool) (restore func()) {
	old := b.cpuKernels
	b.cpuKernels = on
	return func() { b.cpuKernels = old }
}

// RepackCount is how many conv_repack dispatches the backend has recorded.
func (b *Backend) RepackCount() uint64 { return b.kernelCounts["conv_repack"] }

// DispatchCount is how many kernel dispatches the backend has recorded.
func (b *Backend) DispatchCount() uint64 {
	var n uint64
	for _, c := range b.kernelCounts {
		n += c
	}
	return n
}

// CachedRepacks is how many weight tensors have a cached repack.
func (b *Backend) CachedRepacks() int { return len(b.repacked) }

// UseRepackCache turns Conv2D's cache of repacked weights on or off (off:
// a scratch repack per call, as before the cache) and returns the function
// that restores the choice. Turning it off does not drop cached entries.
func (b *Backend) UseRepackCache(on bool) (restore func()) {
	old := b.noRepackCache
	b.noRepackCache = !on
	return func() { b.noRepackCache = old }
}

// FlipCount is how many conv_flip dispatches the backend has recorded.
func (b *Backend) FlipCount() uint64 { return b.kernelCounts["conv_flip"] }

// CachedFlips is how many weight tensors have a cached flip.
func (b *Backend) CachedFlips() int { return len(b.flipped) }

// BreakFlipInvalidation is the flip cache's mutation for tests: on, the
// cache ignores writes into the weights and serves stale flips (and the
// repack cache keeps stale entries until looked up). It returns the
// function that restores the cache.
func (b *Backend) BreakFlipInvalidation(on bool) (restore func()) {
	old := b.flipIgnoresWrites
	b.flipIgnoresWrites = on
	return func() { b.flipIgnoresWrites = old }
}

// CountKernels starts counting the dispatches recorded by kernel name; the
// function it returns returns the counts since then (kernels recorded at
// least once).
func (b *Backend) CountKernels() (stop func() map[string]int) {
	start := maps.Clone(b.kernelCounts)
	return func() map[string]int {
		c := map[string]int{}
		for name, n := range b.kernelCounts {
			if d := n - start[name]; d > 0 {
				c[name] = int(d)
			}
		}
		return c
	}
}

// UseConvKernels makes Conv2D run the named family (SetConvKernels) and
// returns the function that restores the previous choice; it panics on a
// bad name.
func (b *Backend) UseConvKernels(family string) (restore func()) {
	cpu, tiled := b.cpuKernels, b.tiledConv3x3
	if err := b.SetConvKernels(family); err != nil {
		panic(err)
	}
	return func() { b.cpuKernels, b.tiledConv3x3 = cpu, tiled }
}

// CPUAdapter reports whether the device's adapter runs on the CPU.
func (b *Backend) CPUAdapter() bool { return b.cpuAdapter }
