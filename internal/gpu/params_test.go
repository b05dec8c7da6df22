//go:build !js

package gpu_test

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/shaders"
)

// wgslParams matches a shader's `struct Params { ... };` and its fields.
var (
	wgslParams = regexp.MustCompile(`(?s)struct Params \{(.*?)\};`)
	wgslField  = regexp.MustCompile(`^\s*(\w+)\s*:\s*(\w+)\s*,?\s*(//.*)?$`)
)

// wgslType is the WGSL scalar type of each Go Params field type.
var wgslType = map[reflect.Kind]string{reflect.Uint32: "u32", reflect.Int32: "i32", reflect.Float32: "f32"}

type field struct{ name, typ string }

// shaderParams parses the fields of the `struct Params` of shaders/<name>.wgsl.
func shaderParams(t *testing.T, name string) []field {
	m := wgslParams.FindStringSubmatch(shaders.Raw(name))
	if m == nil {
		t.Fatalf("%s.wgsl: no struct Params", name)
	}
	var fs []field
	for line := range strings.SplitSeq(m[1], "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "//") {
			continue
		}
		f := wgslField.FindStringSubmatch(line)
		if f == nil {
			t.Fatalf("%s.wgsl: cannot parse Params line %q", name, line)
		}
		fs = append(fs, field{f[1], f[2]})
	}
	return fs
}

// goParams lists the fields of a Go Params struct as WGSL would name them:
// lower case without underscores on both sides (HasBias and has_bias match).
func goParams(t *testing.T, name string, typ reflect.Type) []field {
	if typ.Kind() != reflect.Struct {
		t.Fatalf("%s: Params type %v is not a struct", name, typ)
	}
	var fs []field
	for f := range typ.Fields() {
		w, ok := wgslType[f.Type.Kind()]
		if !ok {
			t.Errorf("%s: field %s is %v, not uint32, int32 or float32", name, f.Name, f.Type)
		}
		fs = append(fs, field{strings.ToLower(f.Name), w})
	}
	return fs
}

// TestParamsMatchShaders checks every kernel's Go Params struct against the
// `struct Params` of its shader: the same fields in the same order with the
// same types, and every shader has a Go definition.
func TestParamsMatchShaders(t *testing.T) {
	defs := gpu.KernelParams()
	for _, name := range shaders.Names() {
		typ, ok := defs[name]
		if !ok {
			t.Errorf("%s.wgsl has no defineKernel in internal/gpu", name)
			continue
		}
		want := shaderParams(t, name)
		for i := range want {
			want[i].name = strings.ReplaceAll(want[i].name, "_", "")
		}
		if got := goParams(t, name, typ); !slices.Equal(got, want) {
			t.Errorf("%s: Go Params %v has fields %v, the shader %v", name, typ, got, want)
		}
	}
	for name := range defs {
		if !slices.Contains(shaders.Names(), name) {
			t.Errorf("kernel %s is defined in Go but has no shader", name)
		}
	}
}

// TestEveryKernelCompiles assembles and compiles every kernel on the device,
// including those the other tests reach only on some adapters.
func TestEveryKernelCompiles(t *testing.T) {
	for _, name := range shaders.Names() {
		dev.CompileKernel(name)
	}
	probe := dev.Upload(backend.Shape{N: 1, C: 1, H: 1, W: 1}, []float32{1})
	defer dev.Free(probe)
	if _, err := dev.Download(probe); err != nil {
		t.Fatal(err)
	}
}
