package gpu

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"

	"github.com/cogentcore/webgpu/wgpu"

	"github.com/noise2norm/noise2norm/shaders"
)

// Access says how a kernel binds one storage buffer.
type Access int

const (
	Read      Access = iota // var<storage, read>
	ReadWrite               // var<storage, read_write>
)

// wgSize is the workgroup size of every 1-D kernel (@workgroup_size(256)).
const wgSize = 256

// Kernel is a compiled compute pipeline: WGSL text with entry point "main",
// storage buffers at bindings 0..len(access)-1 of group 0, and the uniform
// Params at binding len(access). Its bind group layout is explicit (the
// browser backend of the wgpu library has no "auto" layout).
type Kernel struct {
	name     string
	access   []Access
	layout   *wgpu.BindGroupLayout
	pipeline *wgpu.ComputePipeline
}

func (k *Kernel) release() {
	if k.pipeline != nil {
		k.pipeline.Release()
	}
	if k.layout != nil {
		k.layout.Release()
	}
}

// kernel returns the cached pipeline of shaders/<name>.wgsl, compiling it on
// first use.
func (b *Backend) kernel(name string, access ...Access) *Kernel {
	if k, ok := b.kernels[name]; ok {
		b.mustSameAccess(k, access)
		return k
	}
	return b.kernelSource(name, shaders.Source(name), access...)
}

// kernelSource returns the cached pipeline keyed by key, compiling src on
// first use: for WGSL generated at run time (specialised by a constant).
func (b *Backend) kernelSource(key, src string, access ...Access) *Kernel {
	if k, ok := b.kernels[key]; ok {
		b.mustSameAccess(k, access)
		return k
	}
	b.begin()
	k := &Kernel{name: key, access: slices.Clone(access)}
	b.kernels[key] = k
	entries := make([]wgpu.BindGroupLayoutEntry, len(access)+1)
	for i, a := range access {
		typ := wgpu.BufferBindingTypeReadOnlyStorage
		if a == ReadWrite {
			typ = wgpu.BufferBindingTypeStorage
		}
		entries[i] = wgpu.BindGroupLayoutEntry{
			Binding:    uint32(i),
			Visibility: wgpu.ShaderStageCompute,
			Buffer:     wgpu.BufferBindingLayout{Type: typ},
		}
	}
	entries[len(access)] = wgpu.BindGroupLayoutEntry{
		Binding:    uint32(len(access)),
		Visibility: wgpu.ShaderStageCompute,
		Buffer:     wgpu.BufferBindingLayout{Type: wgpu.BufferBindingTypeUniform},
	}
	var err error
	if k.layout, err = b.dev.CreateBindGroupLayout(&wgpu.BindGroupLayoutDescriptor{Label: key, Entries: entries}); err != nil {
		b.fail(fmt.Errorf("gpu: kernel %s: bind group layout: %w", key, err))
		return k
	}
	mod, err := b.dev.CreateShaderModule(&wgpu.ShaderModuleDescriptor{
		Label:          key,
		WGSLDescriptor: &wgpu.ShaderModuleWGSLDescriptor{Code: src},
	})
	if err != nil {
		b.fail(fmt.Errorf("gpu: kernel %s: %w", key, err))
		return k
	}
	defer mod.Release()
	pl, err := b.dev.CreatePipelineLayout(&wgpu.PipelineLayoutDescriptor{
		Label:            key,
		BindGroupLayouts: []*wgpu.BindGroupLayout{k.layout},
	})
	if err != nil {
		b.fail(fmt.Errorf("gpu: kernel %s: pipeline layout: %w", key, err))
		return k
	}
	defer pl.Release()
	k.pipeline, err = b.dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{
		Layout:  pl,
		Compute: wgpu.ProgrammableStageDescriptor{Module: mod, EntryPoint: "main"},
	})
	if err != nil {
		k.pipeline = nil
		b.fail(fmt.Errorf("gpu: kernel %s: pipeline: %w", key, err))
	}
	return k
}

func (b *Backend) mustSameAccess(k *Kernel, access []Access) {
	if !slices.Equal(k.access, access) {
		panic(fmt.Sprintf("gpu: kernel %s bound as %v, cached as %v", k.name, access, k.access))
	}
}

// kernelDef is a kernel of shaders/ as the Go side sees it: its name, the
// access of its storage buffers (bindings 0..len(access)-1) and, as P, the
// Go struct of its uniform Params: the shader's fields in the shader's
// order, of type uint32, int32 or float32 (u32, i32, f32), named as the
// shader's fields in CamelCase (has_bias: HasBias). TestParamsMatchShaders
// checks every definition against its shader's `struct Params`.
type kernelDef[P any] struct {
	name   string
	access []Access
}

// kernelInfo is what defineKernel records of a kernel, for tests.
type kernelInfo struct {
	params reflect.Type
	access []Access
}

// kernels holds every defined kernel by name.
var kernels = map[string]kernelInfo{}

// defineKernel defines the kernel shaders/<name>.wgsl with Params P and
// the given buffer access; call it once per kernel, in a package-level var.
func defineKernel[P any](name string, access ...Access) kernelDef[P] {
	if _, dup := kernels[name]; dup {
		panic("gpu: kernel " + name + " defined twice")
	}
	kernels[name] = kernelInfo{params: reflect.TypeFor[P](), access: access}
	return kernelDef[P]{name: name, access: access}
}

// run records one dispatch of the kernel over grid workgroups with params,
// binding ts[i] at binding i.
func (d kernelDef[P]) run(b *Backend, grid [3]uint32, params P, ts ...*Tensor) {
	b.dispatch(b.kernel(d.name, d.access...), grid, encodeParams(params), ts...)
}

// encodeParams lays a Params struct out as WGSL does for a uniform of
// 4-byte scalars: fields in order, little-endian, no padding.
func encodeParams(p any) []byte {
	words, err := binary.Append(nil, binary.LittleEndian, p)
	if err != nil {
		panic(fmt.Sprintf("gpu: params %T: %v", p, err))
	}
	return words
}

// boolWord is a Params flag: 1 for true.
func boolWord(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

// dispatch records one dispatch of k over grid workgroups, binding ts[i] at
// binding i (whole tensors) and params, the bytes of the kernel's Params
// struct (encodeParams), at binding len(ts). After a device error it
// records nothing.
func (b *Backend) dispatch(k *Kernel, grid [3]uint32, params []byte, ts ...*Tensor) {
	if len(ts) != len(k.access) {
		panic(fmt.Sprintf("gpu: kernel %s takes %d buffers, got %d", k.name, len(k.access), len(ts)))
	}
	if len(params) == 0 || len(params)%4 != 0 || len(params) > slotBytes {
		panic(fmt.Sprintf("gpu: kernel %s: %d param bytes (want 4 to %d, a multiple of 4)", k.name, len(params), slotBytes))
	}
	for i, a := range k.access {
		if a == ReadWrite {
			b.written(ts[i])
		}
	}
	if b.err != nil || k.pipeline == nil {
		return
	}
	b.kernelCounts[k.name]++
	b.begin()
	if len(b.params) == uniformSlots*slotBytes {
		b.flush()
	}
	if b.prof != nil {
		b.prof.beforeDispatch(b, k.name)
	}
	off := uint64(len(b.params))
	slot := make([]byte, slotBytes)
	copy(slot, params)
	b.params = append(b.params, slot...)

	entries := make([]wgpu.BindGroupEntry, len(ts)+1)
	for i, t := range ts {
		if t.buf == nil {
			panic(fmt.Sprintf("gpu: kernel %s: binding %d is a freed tensor", k.name, i))
		}
		entries[i] = wgpu.BindGroupEntry{Binding: uint32(i), Buffer: t.buf, Size: t.bytes()}
	}
	entries[len(ts)] = wgpu.BindGroupEntry{
		Binding: uint32(len(ts)),
		Buffer:  b.uniforms,
		Offset:  off,
		Size:    roundUp(uint64(len(params)), 16),
	}
	bg, err := b.dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Layout: k.layout, Entries: entries})
	if err != nil {
		b.fail(fmt.Errorf("gpu: kernel %s: bind group: %w", k.name, err))
		return
	}
	b.bindGroups = append(b.bindGroups, bg)
	p := b.computePass()
	p.SetPipeline(k.pipeline)
	p.SetBindGroup(0, bg, nil)
	p.DispatchWorkgroups(grid[0], grid[1], grid[2])
	if b.prof != nil {
		b.prof.afterDispatch(b)
	}
}

// grid1D returns the workgroups covering n invocations of a wgSize kernel:
// (ceil(n/wgSize), 1, 1), folded into y past the per-dimension limit.
// Kernels compute their index as gid.x + gid.y·num_workgroups.x·wgSize.
func (b *Backend) grid1D(n int) [3]uint32 {
	return b.groups((n + wgSize - 1) / wgSize)
}

// groups returns a grid of g workgroups, (g, 1, 1) folded into y past the
// per-dimension limit; a kernel indexes its workgroup as
// wid.x + wid.y·num_workgroups.x and returns when that is ≥ g.
func (b *Backend) groups(g int) [3]uint32 {
	limit := int(b.limits.MaxComputeWorkgroupsPerDimension)
	if g <= limit {
		return [3]uint32{uint32(g), 1, 1}
	}
	return [3]uint32{uint32(limit), uint32((g + limit - 1) / limit), 1}
}

// copyTensor records a copy of src into dst at float offset dstOff.
func (b *Backend) copyTensor(dst *Tensor, dstOff int, src *Tensor) {
	b.copyFloats(dst, dstOff, src, 0, src.s.Len())
}

// copyFloats records a copy of n floats of src from float offset srcOff
// into dst at float offset dstOff.
func (b *Backend) copyFloats(dst *Tensor, dstOff int, src *Tensor, srcOff, n int) {
	if srcOff < 0 || dstOff < 0 || srcOff+n > src.s.Len() || dstOff+n > dst.s.Len() {
		panic(fmt.Sprintf("gpu: copy of %d floats of %v at %d into %v at %d", n, src.s, srcOff, dst.s, dstOff))
	}
	b.written(dst)
	if b.err != nil {
		return
	}
	b.begin()
	b.endPass()
	if err := b.encoder().CopyBufferToBuffer(src.buf, 4*uint64(srcOff), dst.buf, 4*uint64(dstOff), 4*uint64(n)); err != nil {
		b.fail(fmt.Errorf("gpu: copy: %w", err))
	}
}

// encoder returns the command encoder of the batch, creating it.
func (b *Backend) encoder() *wgpu.CommandEncoder {
	if b.enc == nil {
		enc, err := b.dev.CreateCommandEncoder(nil)
		if err != nil {
			panic(fmt.Sprintf("gpu: command encoder: %v", err))
		}
		b.enc = enc
	}
	return b.enc
}

// computePass returns the open compute pass of the batch, opening one.
// Successive dispatches in one pass see each other's writes: each dispatch
// is its own usage scope.
func (b *Backend) computePass() *wgpu.ComputePassEncoder {
	if b.pass == nil {
		b.pass = b.encoder().BeginComputePass(nil)
	}
	return b.pass
}

// endPass closes the open compute pass, if any (copies need it closed).
// End returns an error natively and nothing in the browser; natively a
// pass's errors are reported again by the encoder's Finish.
func (b *Backend) endPass() {
	if b.pass == nil {
		return
	}
	b.pass.End()
	b.pass.Release()
	b.pass = nil
}

// flush submits the recorded batch. Its dispatch parameters go first, in a
// command buffer of their own that copies them into the uniform buffer, so
// they land after every earlier batch has read its own and before this
// one's dispatches read them.
func (b *Backend) flush() {
	if b.enc == nil {
		return
	}
	b.endPass()
	var cmds []*wgpu.CommandBuffer
	if len(b.params) > 0 {
		if src := b.transientBuffer(b.params); src != nil {
			pre, err := b.dev.CreateCommandEncoder(nil)
			if err != nil {
				panic(fmt.Sprintf("gpu: command encoder: %v", err))
			}
			b.fail(pre.CopyBufferToBuffer(src, 0, b.uniforms, 0, uint64(len(b.params))))
			cmd, err := pre.Finish(nil)
			pre.Release()
			if err != nil {
				b.fail(fmt.Errorf("gpu: params: %w", err))
			} else {
				cmds = append(cmds, cmd)
			}
		}
		b.params = b.params[:0]
	}
	if b.prof != nil {
		b.prof.beforeFinish(b)
	}
	cmd, err := b.enc.Finish(nil)
	b.enc.Release()
	b.enc = nil
	if err != nil {
		b.fail(fmt.Errorf("gpu: finish: %w", err))
	} else {
		cmds = append(cmds, cmd)
	}
	if b.err == nil {
		b.queue.Submit(cmds...)
	}
	if b.prof != nil {
		b.prof.afterSubmit(b)
	}
	for _, c := range cmds {
		c.Release()
	}
	for _, bg := range b.bindGroups {
		bg.Release()
	}
	b.bindGroups = b.bindGroups[:0]
	for _, buf := range b.transient {
		buf.Destroy()
		buf.Release()
	}
	b.transient = b.transient[:0]
}

// begin opens the platform's error scope if none is open; Download closes it.
func (b *Backend) begin() { b.scope.begin() }
