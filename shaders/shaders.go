// Package shaders holds the WGSL compute kernels of the WebGPU backend, one
// kernel per .wgsl file, embedded into the binary.
//
// Every file follows one skeleton (after llama.cpp's ggml-webgpu shaders): a
// commented `struct Params` bound as the last binding (a uniform), storage
// buffers at the bindings before it in the order the Go dispatch passes
// them, a comment giving the tensor layouts, a 1-D @workgroup_size(256) grid
// that may be folded into y (index = gid.x + gid.y·num_workgroups.x·256) and
// an early bounds return.
package shaders

import (
	"embed"
	"fmt"
)

//go:embed *.wgsl
var files embed.FS

// Source returns the WGSL text of the kernel in name+".wgsl"; it panics if
// there is no such file (a kernel name is a constant of the program).
func Source(name string) string {
	b, err := files.ReadFile(name + ".wgsl")
	if err != nil {
		panic(fmt.Sprintf("shaders: no kernel %q", name))
	}
	return string(b)
}

// Names lists the embedded kernels (file names without ".wgsl"), sorted.
func Names() []string {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		n := e.Name()
		names = append(names, n[:len(n)-len(".wgsl")])
	}
	return names
}
