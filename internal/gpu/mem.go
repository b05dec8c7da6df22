package gpu

// MemStats are the WebGPU backend's tensor buffers, in bytes. A tensor
// holds a buffer of its size rounded up to 256 bytes, from a pool that
// never shrinks; the figures count those buffers.
type MemStats struct {
	Live    int64 // held by tensors not yet freed
	Peak    int64 // the high-water mark of Live since the backend opened or ResetPeak
	Created int64 // every tensor buffer created: what the pool holds on the device, free or not
}

// MemStats reports the memory of the backend's tensor buffers (not its
// uniform, staging and upload buffers, nor the kernels).
func (b *Backend) MemStats() MemStats {
	return MemStats{Live: int64(b.live), Peak: int64(b.peak), Created: int64(b.created)}
}

// ResetPeak sets the high-water mark to the bytes live now.
func (b *Backend) ResetPeak() { b.peak = b.live }

// hold counts a buffer of size bytes handed to a tensor.
func (b *Backend) hold(size uint64) {
	b.live += size
	b.peak = max(b.peak, b.live)
}
