// Package shaders holds the WGSL compute kernels of the WebGPU backend, one
// kernel per .wgsl file, embedded into the binary, and the library
// (lib/*.wgsl) they share.
//
// Every file follows one skeleton (after llama.cpp's ggml-webgpu shaders): a
// commented `struct Params` bound as the last binding (a uniform), storage
// buffers at the bindings before it in the order the Go dispatch passes
// them, a comment giving the tensor layouts, a 1-D @workgroup_size(256) grid
// that may be folded into y (index = gid.x + gid.y·num_workgroups.x·256) and
// an early bounds return.
//
// WGSL has no includes, so Source assembles a kernel: each line
// `//#include NAME` is replaced by lib/NAME.wgsl, and a kernel that
// includes anything is preceded by the constants generated from Go
// (Constants). A library file uses the names its comment says the
// including kernel must define (Params p and its fields, bindings,
// functions such as put); WGSL resolves module-scope names in any order.
package shaders

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/noise2norm/noise2norm/internal/backend"
)

//go:embed *.wgsl lib/*.wgsl
var files embed.FS

// includeDirective starts a line that Source replaces by a library file.
const includeDirective = "//#include "

// Constants returns the WGSL constants generated from Go: the activation
// codes of backend.Activation.
func Constants() string {
	return fmt.Sprintf("// Generated from Go by shaders.Constants.\nconst ACT_LINEAR: u32 = %du;\nconst ACT_RELU: u32 = %du;\nconst ACT_SIGMOID: u32 = %du;\n\n",
		backend.Linear, backend.ReLU, backend.Sigmoid)
}

// Source returns the assembled WGSL text of the kernel in name+".wgsl"
// (includes expanded, constants prepended); it panics if there is no such
// file or it includes a library file that does not exist (a kernel name is
// a constant of the program, and a test assembles every kernel).
func Source(name string) string {
	b, err := files.ReadFile(name + ".wgsl")
	if err != nil {
		panic(fmt.Sprintf("shaders: no kernel %q", name))
	}
	src, err := Assemble(string(b))
	if err != nil {
		panic(fmt.Sprintf("shaders: kernel %s: %v", name, err))
	}
	return src
}

// Assemble expands the `//#include NAME` lines of src (one level: library
// files do not include) and, when there were any, prepends Constants.
func Assemble(src string) (string, error) {
	if !strings.Contains(src, includeDirective) {
		return src, nil
	}
	var out strings.Builder
	out.WriteString(Constants())
	seen := map[string]bool{}
	for line := range strings.SplitAfterSeq(src, "\n") {
		lib, ok := strings.CutPrefix(strings.TrimSpace(line), includeDirective)
		if !ok {
			out.WriteString(line)
			continue
		}
		lib = strings.TrimSpace(lib)
		if seen[lib] {
			return "", fmt.Errorf("%s included twice", lib)
		}
		seen[lib] = true
		text, err := files.ReadFile("lib/" + lib + ".wgsl")
		if err != nil {
			return "", fmt.Errorf("no library file lib/%s.wgsl", lib)
		}
		if strings.Contains(string(text), includeDirective) {
			return "", fmt.Errorf("lib/%s.wgsl includes another file; libraries do not nest", lib)
		}
		out.Write(text)
	}
	return out.String(), nil
}

// Raw returns the text of the kernel in name+".wgsl" as written, includes
// unexpanded (tests read its Params struct from it).
func Raw(name string) string {
	b, err := files.ReadFile(name + ".wgsl")
	if err != nil {
		panic(fmt.Sprintf("shaders: no kernel %q", name))
	}
	return string(b)
}

// Names lists the embedded kernels (file names without ".wgsl"), sorted.
func Names() []string {
	names, err := fs.Glob(files, "*.wgsl")
	if err != nil {
		panic(err)
	}
	for i, n := range names {
		names[i] = strings.TrimSuffix(n, ".wgsl")
	}
	return names
}
