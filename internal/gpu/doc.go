// Package gpu is the WebGPU backend of backend.Backend: every op is a WGSL
// compute kernel (shaders/<name>.wgsl) recorded into one pending command
// encoder; Download submits the batch and reads the result back, so a
// forward pass costs one readback at its end. The same code builds natively
// (wgpu-native through cgo; device set-up in package native) and for
// GOOS=js GOARCH=wasm (the browser's WebGPU; OpenBrowser or NewFromJS);
// device_notjs.go and device_js.go hold the only platform code.
//
// The layer follows gpu.cpp: a kernel is WGSL text plus an explicit bind
// group layout and a dispatch; nothing is generated except what must vary.
//
// # Internal API for op files (conv.go builds on this)
//
// An op is a method on *Backend in its own file. It unwraps its inputs,
// allocates its output and records a dispatch of a kernel defined, with
// the Go struct of its Params, in a package-level var of the same file:
//
//	func (b *Backend) Add(x, y backend.Tensor) backend.Tensor {
//		xt, yt := tensorOf(x), tensorOf(y) // *Tensor; panics if foreign or freed
//		out := b.newTensor(xt.s)           // uninitialised, from the buffer pool
//		n := xt.s.Len()
//		addKernel.run(b, b.grid1D(n), addParams{N: uint32(n)}, xt, yt, out)
//		return out
//	}
//
//	// addParams is add.wgsl's Params.
//	type addParams struct{ N uint32 }
//
//	var addKernel = defineKernel[addParams]("add", Read, Read, ReadWrite)
//
// The pieces:
//
//   - tensorOf(t backend.Tensor) *Tensor. A *Tensor has t.s (its
//     backend.Shape) and t.bytes() (4·Len); its buffer may be larger than
//     that (pool size classes), bindings always use exactly t.bytes().
//   - b.newTensor(s backend.Shape) *Tensor: an output (contents undefined).
//     b.Free(t) returns a buffer to the pool; freeing an input right after
//     recording the op that reads it is safe (later writes are ordered
//     after it). Free scratch tensors the same way.
//   - defineKernel[P](name, access ...Access) kernelDef[P]: the kernel of
//     shaders/<name>.wgsl (assembled by shaders.Source: `//#include NAME`
//     lines replaced by shaders/lib/NAME.wgsl, constants generated from Go
//     in front), entry point "main", compiled on first use and cached by
//     name. Binding i of group 0 is a storage buffer, var<storage, read>
//     for Read or var<storage, read_write> for ReadWrite; binding
//     len(access) is the var<uniform> Params struct, whose Go twin is P:
//     the same fields in the same order, uint32/int32/float32 for
//     u32/i32/f32, named in CamelCase (TestParamsMatchShaders checks every
//     kernel). Fields are 4 bytes, so use no vec3/vec4 fields.
//   - k.run(b, grid [3]uint32, params P, ts ...*Tensor): records one
//     dispatch with ts bound in order and params encoded into the uniform.
//     Each dispatch gets its own uniform slot, written just before its
//     batch is submitted, so params never race.
//   - b.kernelSource(key, wgsl string, access ...Access) *Kernel and
//     b.dispatch(k, grid, params []byte, ts...): the untyped layer below
//     run, for WGSL built at run time (tests).
//   - b.grid1D(n) [3]uint32: workgroups covering n invocations at
//     @workgroup_size(256) (wgSize), folded into y past the device's
//     per-dimension limit; the kernel computes its index as
//     gid.x + gid.y·num_workgroups.x·256 and returns when ≥ n.
//     b.groups(g) is the same for g workgroups (one per output tile, say);
//     the kernel's workgroup index is wid.x + wid.y·num_workgroups.x.
//     A kernel with a 2-D or 3-D workgroup builds its own grid.
//   - b.copyTensor(dst, dstOff, src): records a buffer copy of src into dst
//     at float offset dstOff; b.copyFloats(dst, dstOff, src, srcOff, n)
//     copies n floats of src from srcOff.
//   - b.limits holds the device's wgpu.Limits.
//   - Writes: a kernel that writes into a tensor binds it ReadWrite, and
//     a copy into one goes through copyFloats (or Upload): both bump the
//     tensor's version (b.written), which keeps Conv2D's cache of repacked
//     weights (repack.go) valid. A new way of writing into an existing
//     tensor (a view sharing a buffer, say) must call b.written on every
//     tensor whose buffer it writes.
//
// Profiling: StartProfile and StopProfile (profile.go) time every dispatch
// recorded between them by kernel name, with timestamp queries where the
// device has them, else a submit and wait per dispatch; dispatch and flush
// call the profiler's hooks only while one runs. SetConvKernels
// (conv_family.go) picks the convolution kernel family.
//
// Device errors (a WGSL compile error, a failed validation) are recorded,
// not panicked: the op records nothing more, and Download returns the first
// error (it stays: the backend is unusable after one). Programming errors
// (shape mismatches) panic, as in every backend.
//
// Uploads and dispatch parameters reach the device through buffers
// created mapped and copies recorded in order, never Queue.WriteBuffer
// (which would overtake commands already recorded, and which in the browser
// needs a global "wasm" object holding the module's memory).
//
// Tests live in package gpu_test and carry //go:build !js (they import
// native): main_test.go's TestMain opens one device for the package
// (native.Open; the test binary fails when there is no adapter) into the
// variable dev (*gpu.Backend), with ref a cpu.Backend to compare against.
// export_test.go exposes hooks such as Sync (flush and wait, for
// benchmarks) and LimitGroupsPerDim (to test folded grids).
package gpu
