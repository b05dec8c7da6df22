package shaders

import (
	"strings"
	"testing"
)

// TestAssemble checks that every kernel assembles, that its includes are
// replaced by the library text and that the generated constants come first.
func TestAssemble(t *testing.T) {
	for _, name := range Names() {
		src := Source(name)
		if strings.Contains(src, includeDirective) {
			t.Errorf("%s: an include is left after assembly", name)
		}
		if strings.Contains(Raw(name), includeDirective) && !strings.HasPrefix(src, Constants()) {
			t.Errorf("%s: includes but does not start with the generated constants", name)
		}
	}
	src := Source("channel_gate")
	if !strings.Contains(src, "fn main(") || !strings.Contains(src, "fn put(") {
		t.Errorf("channel_gate assembled without runs_of_4's entry point or its own put:\n%s", src)
	}
}

// TestAssembleErrors checks that a missing library and a doubled include are
// errors that name the library.
func TestAssembleErrors(t *testing.T) {
	for src, want := range map[string]string{
		"//#include nosuch\n":                            "lib/nosuch.wgsl",
		"//#include activation\n//#include activation\n": "activation included twice",
	} {
		if _, err := Assemble(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Assemble(%q) = %v, want an error with %q", src, err, want)
		}
	}
}

// TestConstants checks the generated activation codes against the Go values.
func TestConstants(t *testing.T) {
	for _, want := range []string{"const ACT_LINEAR: u32 = 0u;", "const ACT_RELU: u32 = 1u;", "const ACT_SIGMOID: u32 = 2u;"} {
		if !strings.Contains(Constants(), want) {
			t.Errorf("Constants() lacks %q:\n%s", want, Constants())
		}
	}
}
