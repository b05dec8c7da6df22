package gpu

import (
	"cmp"
	"errors"
	"slices"
	"time"
)

// Per-kernel GPU timings (the profile): StartProfile makes the backend time
// every dispatch it records until StopProfile, which returns the times by
// kernel name. Two methods:
//
//   - ProfileTimestamps: WebGPU's "timestamp-query" feature. Each dispatch
//     gets a compute pass of its own with a timestamp written on the
//     encoder before and after it; at each submit the timestamps are
//     resolved and read back. The times are the device's, free of host
//     overhead, but the one-pass-per-dispatch split and the readback per
//     batch add barriers, so the profiled run is slower than an unprofiled
//     one. The binding (cogentcore/webgpu v0.23.0) offers no
//     timestampWrites on compute passes and no queue timestamp period, so
//     the encoder's WriteTimestamp is used and the tick length is
//     calibrated against the host clock at StartProfile (Profile.TickNS).
//   - ProfileCPU, where the device lacks the feature: each dispatch is
//     submitted alone and waited for, and timed on the host (submit and
//     wait included, so small kernels look longer than they run).
//
// Copies (uploads, concatenations, readbacks) are not timed. Profiling is
// native only: in the browser StartProfile returns an error.

// ProfileMethod chooses how StartProfile times dispatches.
type ProfileMethod int

const (
	ProfileAuto       ProfileMethod = iota // timestamps where the device has them, else the host clock
	ProfileTimestamps                      // the device's timestamp queries (an error without the feature)
	ProfileCPU                             // the host clock around a submit and wait per dispatch
)

// KernelTime is one kernel's line of a Profile.
type KernelTime struct {
	Name    string  // the kernel: its shader's name (conv3x3, conv_repack, ...)
	Count   int     // dispatches timed
	TotalMS float64 // their summed time in milliseconds
	Share   float64 // TotalMS / Profile.TotalMS
}

// Profile is what StopProfile returns.
type Profile struct {
	Method  string       // "timestamp-query" or "host clock, submit+wait per dispatch"
	TickNS  float64      // timestamp-query: nanoseconds per tick, calibrated; else 0
	Kernels []KernelTime // by TotalMS, largest first
	TotalMS float64      // the kernels' times summed
	WallMS  float64      // host time from StartProfile to StopProfile (the work finished)
}

// profileTotals accumulates dispatch times by kernel name.
type profileTotals struct {
	start time.Time
	count map[string]int
	ns    map[string]float64
}

func newProfileTotals() profileTotals {
	return profileTotals{start: time.Now(), count: map[string]int{}, ns: map[string]float64{}}
}

// add records one dispatch of kernel name that took ns nanoseconds.
func (t *profileTotals) add(name string, ns float64) {
	t.count[name]++
	t.ns[name] += max(ns, 0)
}

// profile builds the Profile of the totals so far.
func (t *profileTotals) profile(method string, tickNS float64) Profile {
	p := Profile{Method: method, TickNS: tickNS, WallMS: float64(time.Since(t.start).Nanoseconds()) / 1e6}
	for name, n := range t.count {
		ms := t.ns[name] / 1e6
		p.Kernels = append(p.Kernels, KernelTime{Name: name, Count: n, TotalMS: ms})
		p.TotalMS += ms
	}
	for i := range p.Kernels {
		if p.TotalMS > 0 {
			p.Kernels[i].Share = p.Kernels[i].TotalMS / p.TotalMS
		}
	}
	slices.SortFunc(p.Kernels, func(a, b KernelTime) int {
		return cmp.Or(cmp.Compare(b.TotalMS, a.TotalMS), cmp.Compare(a.Name, b.Name))
	})
	return p
}

// errNotProfiling is StopProfile's error without a StartProfile.
var errNotProfiling = errors.New("gpu: StopProfile without StartProfile")
