package gpu

// UseGPUConv makes Conv2D run the kernels meant for GPUs even on a CPU
// adapter (on = true) and returns the function that restores the choice
// by adapter, so that tests on lavapipe cover both sets of kernels.
func (b *Backend) UseGPUConv(on bool) (restore func()) {
	old := b.gpuConv
	b.gpuConv = on
	return func() { b.gpuConv = old }
}
