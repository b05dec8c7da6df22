package gpu

// UseCPUKernels makes Conv2D run the kernels tuned for CPU adapters (on)
// or those for GPUs (off) whatever the adapter, and returns the function
// that restores the choice, so that tests cover both sets of kernels.
func (b *Backend) UseCPUKernels(on bool) (restore func()) {
	old := b.cpuKernels
	b.cpuKernels = on
	return func() { b.cpuKernels = old }
}
