//go:build js

package gpu

import "errors"

// profiler is a stub in the browser: the wgpu library's browser binding
// has no query sets, and a host-side wait per dispatch would need a
// readback per dispatch.
type profiler struct{}

func (*profiler) beforeDispatch(*Backend, string) {}
func (*profiler) afterDispatch(*Backend)          {}
func (*profiler) beforeFinish(*Backend)           {}
func (*profiler) afterSubmit(*Backend)            {}
func (*profiler) close()                          {}

// HasTimestamps reports false in the browser (see profiler).
func (b *Backend) HasTimestamps() bool { return false }

// StartProfile returns an error in the browser: profiling is native only.
func (b *Backend) StartProfile(ProfileMethod) error {
	return errors.New("gpu: per-kernel profiling is not available in the browser")
}

// StopProfile returns an error in the browser.
func (b *Backend) StopProfile() (Profile, error) { return Profile{}, errNotProfiling }
