package gpu

import "reflect"

// Sync submits all recorded work and waits for the device (benchmarks).
func (b *Backend) Sync() {
	b.flush()
	b.waitIdle()
}

// LimitGroupsPerDim lowers the per-dimension workgroup limit the grids use,
// so that tests reach the folded (x, y) grids with small tensors; it
// returns the function that restores the device's limit.
func (b *Backend) LimitGroupsPerDim(n uint32) (restore func()) {
	old := b.limits.MaxComputeWorkgroupsPerDimension
	b.limits.MaxComputeWorkgroupsPerDimension = n
	return func() { b.limits.MaxComputeWorkgroupsPerDimension = old }
}

// CompileForTest compiles src as a kernel with one read-write buffer and
// records a dispatch of it on t, which must be a *Tensor of b.
func (b *Backend) CompileForTest(key, src string, t *Tensor) {
	b.dispatch(b.kernelSource(key, src, ReadWrite), [3]uint32{1, 1, 1}, encodeParams(uint32(0)), t)
}

// KernelParams returns the Params type of every defined kernel, by name.
func KernelParams() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for name, k := range kernels {
		out[name] = k.params
	}
	return out
}

// CompileKernel compiles the defined kernel name as its first use would;
// a failure surfaces as a device error at the next Download.
func (b *Backend) CompileKernel(name string) {
	b.kernel(name, kernels[name].access...)
}

// CreatedBytes is the bytes of tensor buffers the backend has created: the
// high-water mark of its pool, which never shrinks.
func (b *Backend) CreatedBytes() uint64 { return b.created }
