package shaders

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAssemble checks that every kernel assembles, that its includes are
// replaced by the library text and that the generated constants come first.
func TestAssemble(t *testing.T) {
	for _, name := range Names() {
		src := Source(name)
		assert.NotContains(t, src, includeDirective, "%s: an include is left after assembly", name)
		if strings.Contains(Raw(name), includeDirective) {
			assert.True(t, strings.HasPrefix(src, Constants()), "%s: includes but does not start with the generated constants", name)
		}
	}
	src := Source("channel_gate")
	assert.Contains(t, src, "fn main(", "channel_gate without runs_of_4's entry point")
	assert.Contains(t, src, "fn put(", "channel_gate without its own put")
}

// TestAssembleErrors checks that a missing library and a doubled include are
// errors that name the library.
func TestAssembleErrors(t *testing.T) {
	for src, want := range map[string]string{
		"//#include nosuch\n":                            "lib/nosuch.wgsl",
		"//#include activation\n//#include activation\n": "activation included twice",
	} {
		_, err := Assemble(src)
		assert.ErrorContains(t, err, want, "Assemble(%q)", src)
	}
}

// TestConstants checks the generated activation codes against the Go values.
func TestConstants(t *testing.T) {
	for _, want := range []string{"const ACT_LINEAR: u32 = 0u;", "const ACT_RELU: u32 = 1u;", "const ACT_SIGMOID: u32 = 2u;"} {
		assert.Contains(t, Constants(), want)
	}
}
