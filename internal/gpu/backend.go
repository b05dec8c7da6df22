package gpu

import (
	"fmt"
	"math"
	"time"

	"github.com/cogentcore/webgpu/wgpu"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Tensor is a float32 NCHW tensor held in a device storage buffer. The
// buffer may be larger than the tensor (it comes from a size-class pool);
// bindings always use the tensor's own byte size.
type Tensor struct {
	s       backend.Shape
	buf     *wgpu.Buffer
	cap     uint64 // byte size of buf, its pool key
	invalid bool   // buf could not be created: the device error says why
	// version identifies the tensor's contents: set from the backend's
	// counter when the tensor is created and whenever a recorded command
	// writes into it (written, in repack.go), so that two equal versions
	// mean the same contents. The repack cache (repack.go) keys on it.
	version uint64
}

// Shape returns the tensor's NCHW shape.
func (t *Tensor) Shape() backend.Shape { return t.s }

// bytes is the tensor's size in bytes.
func (t *Tensor) bytes() uint64 { return 4 * uint64(t.s.Len()) }

// Backend runs the ops of backend.Backend as WGSL compute kernels on one
// WebGPU device. Ops only record work; Download submits it and waits.
// Conv2D is in conv.go.
type Backend struct {
	name   string
	dev    *wgpu.Device
	queue  *wgpu.Queue
	limits wgpu.Limits

	kernels map[string]*Kernel
	pool    map[uint64][]*wgpu.Buffer // free storage buffers by byte size
	created uint64                    // bytes of tensor buffers created: the pool never shrinks, so its high-water mark
	live    uint64                    // bytes of the buffers tensors hold now (mem.go)
	peak    uint64                    // high-water mark of live since ResetPeak
	staging map[uint64][]*wgpu.Buffer // free MAP_READ buffers by byte size

	// The batch being recorded: one encoder, one open compute pass, the
	// parameters of its dispatches (copied into uniforms by a command
	// buffer submitted just before the batch), its bind groups and
	// upload buffers (released after submit).
	enc        *wgpu.CommandEncoder
	pass       *wgpu.ComputePassEncoder
	uniforms   *wgpu.Buffer
	params     []byte
	bindGroups []*wgpu.BindGroup
	transient  []*wgpu.Buffer

	cpuAdapter   bool // the adapter runs on the CPU (lavapipe)
	cpuKernels   bool // use the conv kernels tuned for CPU adapters such as lavapipe (see conv.go)
	tiledConv3x3 bool // GPU path: 3×3 convolutions run conv3x3_tiled (conv_family.go)
	// genericWeightGrad computes every convolution's weight gradient with
	// the generic conv_dw kernel instead of the register-tiled conv_dw3x3
	// and conv_dw1x1 (conv_backward.go): set in the browser, where
	// Chromium's SwiftShader never finished running a conv_dw3x3 pipeline
	// (the device was lost minutes later).
	genericWeightGrad bool

	taps   []tapRange // Gaussian taps of the loss map per MSSSIMSigmas, in tapBuf
	tapBuf *Tensor

	versions uint64 // the last tensor version handed out
	// repacked holds each weight tensor's conv_repack layout while the
	// weights are unchanged (repack.go); noRepackCache disables it.
	repacked      map[*Tensor]repackEntry
	noRepackCache bool
	// flipped holds each weight tensor's conv_flip layout for
	// Conv2DBackward's input gradient while the weights are unchanged
	// (flip.go); noRepackCache disables it too. flipIgnoresWrites is a
	// test's mutation: the cache then serves stale flips.
	flipped           map[*Tensor]flipEntry
	flipSeen          map[*Tensor]uint64 // each weight tensor's version at its last flip
	flipIgnoresWrites bool
	kernelCounts      map[string]uint64 // dispatches recorded by kernel name, for tests and benchmarks

	prof *profiler // the running profile (profile.go), or nil

	err   error // the first device error; sticky
	scope errorScope
}

var _ backend.Backend = (*Backend)(nil)

// uniformSlots is how many dispatches one batch can parametrise before it
// is submitted; slotBytes bounds a Params struct (64 words).
const (
	uniformSlots = 256
	slotBytes    = 256
)

// newBackend wraps an opened device; the platform constructors call it.
func newBackend(dev *wgpu.Device, name string, cpuAdapter bool, scope errorScope) (*Backend, error) {
	b := &Backend{
		name:         name,
		cpuAdapter:   cpuAdapter,
		cpuKernels:   cpuAdapter,
		dev:          dev,
		queue:        dev.GetQueue(),
		limits:       dev.GetLimits().Limits,
		kernels:      map[string]*Kernel{},
		pool:         map[uint64][]*wgpu.Buffer{},
		staging:      map[uint64][]*wgpu.Buffer{},
		repacked:     map[*Tensor]repackEntry{},
		flipped:      map[*Tensor]flipEntry{},
		flipSeen:     map[*Tensor]uint64{},
		kernelCounts: map[string]uint64{},
		scope:        scope,
	}
	if err := b.convKernelsFromEnv(); err != nil {
		return nil, err
	}
	if b.limits.MinUniformBufferOffsetAlignment > slotBytes {
		return nil, fmt.Errorf("gpu: uniform offset alignment %d above %d", b.limits.MinUniformBufferOffsetAlignment, slotBytes)
	}
	u, err := dev.CreateBuffer(&wgpu.BufferDescriptor{
		Label: "params",
		Usage: wgpu.BufferUsageUniform | wgpu.BufferUsageCopyDst,
		Size:  uniformSlots * slotBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("gpu: uniform buffer: %w", err)
	}
	b.uniforms = u
	return b, nil
}

// Name reports "webgpu" and the adapter.
func (b *Backend) Name() string { return "webgpu (" + b.name + ")" }

// MaxStorageBinding is the device's largest storage-buffer binding in
// bytes: the bound on one tensor.
func (b *Backend) MaxStorageBinding() uint64 { return b.limits.MaxStorageBufferBindingSize }

// fail records err as the device error if it is the first.
func (b *Backend) fail(err error) {
	if err != nil && b.err == nil {
		b.err = err
	}
}

// tensorOf unwraps a backend tensor that must belong to this backend and
// must not have been freed.
func tensorOf(t backend.Tensor) *Tensor {
	g, ok := t.(*Tensor)
	if !ok {
		panic(fmt.Sprintf("gpu: tensor %T is not a GPU tensor", t))
	}
	if g.buf == nil && !g.invalid {
		panic("gpu: use of a freed tensor")
	}
	return g
}

// newTensor returns an uninitialised tensor of shape s from the pool.
func (b *Backend) newTensor(s backend.Shape) *Tensor {
	if s.Len() <= 0 {
		panic(fmt.Sprintf("gpu: empty shape %v", s))
	}
	n := 4 * uint64(s.Len())
	if n > b.limits.MaxStorageBufferBindingSize {
		b.fail(fmt.Errorf("gpu: tensor %v needs %d bytes, above the device's storage binding limit of %d", s, n, b.limits.MaxStorageBufferBindingSize))
	}
	size := roundUp(n, 256)
	if free := b.pool[size]; len(free) > 0 {
		buf := free[len(free)-1]
		b.pool[size] = free[:len(free)-1]
		b.hold(size)
		return &Tensor{s: s, buf: buf, cap: size, version: b.nextVersion()}
	}
	b.begin()
	buf, err := b.dev.CreateBuffer(&wgpu.BufferDescriptor{
		Label: "tensor",
		Usage: wgpu.BufferUsageStorage | wgpu.BufferUsageCopySrc | wgpu.BufferUsageCopyDst,
		Size:  size,
	})
	if err != nil {
		b.fail(fmt.Errorf("gpu: buffer of %d bytes: %w", size, err))
		return &Tensor{s: s, invalid: true}
	}
	b.created += size
	b.hold(size)
	return &Tensor{s: s, buf: buf, cap: size, version: b.nextVersion()}
}

// Upload copies data into a new tensor of shape s: the data goes into a
// buffer created mapped (CreateBufferInit), and a copy into the tensor is
// recorded in the batch, so it is ordered with the ops around it. (The
// library's Queue.WriteBuffer is avoided: it would land before commands
// recorded earlier, and in the browser it needs a global "wasm" object.)
func (b *Backend) Upload(s backend.Shape, data []float32) backend.Tensor {
	if len(data) != s.Len() {
		panic(fmt.Sprintf("gpu: upload of %d values into shape %v", len(data), s))
	}
	t := b.newTensor(s)
	b.begin()
	if b.err != nil {
		return t
	}
	src := b.transientBuffer(wgpu.ToBytes(data))
	if src == nil {
		return t
	}
	b.endPass()
	b.written(t)
	if err := b.encoder().CopyBufferToBuffer(src, 0, t.buf, 0, t.bytes()); err != nil {
		b.fail(fmt.Errorf("gpu: upload %v: %w", s, err))
	}
	return t
}

// transientBuffer returns a COPY_SRC buffer holding data, destroyed once
// the batch is submitted; nil after an error.
func (b *Backend) transientBuffer(data []byte) *wgpu.Buffer {
	buf, err := b.dev.CreateBufferInit(&wgpu.BufferInitDescriptor{
		Label:    "upload",
		Contents: data,
		Usage:    wgpu.BufferUsageCopySrc,
	})
	if err != nil {
		b.fail(fmt.Errorf("gpu: upload buffer of %d bytes: %w", len(data), err))
		return nil
	}
	b.transient = append(b.transient, buf)
	return buf
}

// Free returns t's buffer to the pool. Commands already recorded that use
// it still see its contents: every later write to the buffer is recorded
// after them.
func (b *Backend) Free(t backend.Tensor) {
	if t == nil {
		return
	}
	g := tensorOf(t)
	b.dropRepack(g)
	b.dropFlip(g)
	delete(b.flipSeen, g)
	if g.buf != nil {
		b.pool[g.cap] = append(b.pool[g.cap], g.buf)
		b.live -= g.cap
	}
	g.buf, g.invalid = nil, false
}

// Download submits all recorded work, copies t into a mapped staging
// buffer, waits for it and returns its values. It reports the first device
// error since the backend was created, if any. In the browser it blocks its
// goroutine on promises: call it from a goroutine, not a js.Func callback.
func (b *Backend) Download(t backend.Tensor) ([]float32, error) {
	g := tensorOf(t)
	n := g.bytes()
	if b.err != nil {
		b.flush()
		b.fail(b.scope.end())
		return nil, b.err
	}
	b.begin()
	st := b.stagingBuffer(n)
	if st == nil {
		return nil, b.err
	}
	b.endPass()
	if err := b.encoder().CopyBufferToBuffer(g.buf, 0, st, 0, n); err != nil {
		b.fail(fmt.Errorf("gpu: download copy: %w", err))
	}
	b.flush()
	out, err := b.readStaging(st, n)
	b.fail(err)
	b.staging[n] = append(b.staging[n], st)
	b.fail(b.scope.end())
	if b.err != nil {
		return nil, b.err
	}
	return out, nil
}

// stagingBuffer returns a MAP_READ|COPY_DST buffer of n bytes, or nil
// after recording an error.
func (b *Backend) stagingBuffer(n uint64) *wgpu.Buffer {
	if free := b.staging[n]; len(free) > 0 {
		st := free[len(free)-1]
		b.staging[n] = free[:len(free)-1]
		return st
	}
	st, err := b.dev.CreateBuffer(&wgpu.BufferDescriptor{
		Label: "staging",
		Usage: wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst,
		Size:  n,
	})
	if err != nil {
		b.fail(fmt.Errorf("gpu: staging buffer: %w", err))
		return nil
	}
	return st
}

// readStaging maps st (whose copy has been submitted), waits for the map
// and returns its first n bytes as float32. Natively the wait polls the
// device; in the browser MapAsync itself awaits the promise.
func (b *Backend) readStaging(st *wgpu.Buffer, n uint64) ([]float32, error) {
	if b.err != nil {
		return nil, b.err
	}
	done := false
	status := wgpu.BufferMapAsyncStatusUnknown
	if err := st.MapAsync(wgpu.MapModeRead, 0, n, func(s wgpu.BufferMapAsyncStatus) {
		status, done = s, true
	}); err != nil {
		return nil, fmt.Errorf("gpu: map: %w", err)
	}
	for !done {
		b.poll()
	}
	if status != wgpu.BufferMapAsyncStatusSuccess {
		return nil, fmt.Errorf("gpu: map: status %v", status)
	}
	raw, err := mappedRange(st, n)
	if err != nil {
		return nil, err
	}
	out := make([]float32, n/4)
	for i := range out {
		j := 4 * i
		out[i] = math.Float32frombits(uint32(raw[j]) | uint32(raw[j+1])<<8 | uint32(raw[j+2])<<16 | uint32(raw[j+3])<<24)
	}
	if err := st.Unmap(); err != nil {
		return nil, fmt.Errorf("gpu: unmap: %w", err)
	}
	return out, nil
}

// mappedRange returns the first n bytes of the mapped buffer st. In the
// browser the library reports a map as successful even when its promise
// was rejected (a lost device), and getMappedRange then throws: that panic
// becomes an error here.
func mappedRange(st *wgpu.Buffer, n uint64) (raw []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gpu: reading back: %v (device lost?)", r)
		}
	}()
	return st.GetMappedRange(0, uint(n)), nil
}

// poll lets the device make progress once and, if it still has work,
// sleeps briefly. A blocking wgpuDevicePoll is not used: the wgpu-native
// bundled with cogentcore/webgpu v0.23.0 gives up on it after about 5 s,
// after which a long dispatch (lavapipe, full-size training) read back
// zeros or crashed the driver.
func (b *Backend) poll() {
	if !b.dev.Poll(false, nil) {
		time.Sleep(50 * time.Microsecond)
	}
}

// Close waits for the device, destroys every pooled buffer and releases the
// device. Tensors not yet freed become invalid.
func (b *Backend) Close() {
	b.flush()
	b.waitIdle()
	if b.prof != nil {
		b.prof.close()
		b.prof = nil
	}
	if b.tapBuf != nil {
		b.Free(b.tapBuf)
	}
	b.DropRepackedWeights()
	for _, m := range []map[uint64][]*wgpu.Buffer{b.pool, b.staging} {
		for _, bufs := range m {
			for _, buf := range bufs {
				buf.Destroy()
				buf.Release()
			}
		}
	}
	for _, k := range b.kernels {
		k.release()
	}
	b.uniforms.Destroy()
	b.uniforms.Release()
	b.queue.Release()
	b.dev.Release()
}

func roundUp(n, m uint64) uint64 { return (n + m - 1) / m * m }
