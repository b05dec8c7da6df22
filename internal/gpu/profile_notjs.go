//go:build !js

package gpu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cogentcore/webgpu/wgpu"
)

// profileQueries is the timestamps one batch can hold: a begin and an end
// per dispatch, and a batch holds at most uniformSlots dispatches.
const profileQueries = 2 * uniformSlots

// profiler times the dispatches recorded while a profile runs (see
// profile.go for the two methods).
type profiler struct {
	totals     profileTotals
	timestamps bool // the timestamp-query method, else the host clock

	// timestamp-query: the query set, the buffer it is resolved into, the
	// buffer that is read back, the kernels of the batch's timestamp
	// pairs in order, and nanoseconds per tick.
	qs       *wgpu.QuerySet
	resolved *wgpu.Buffer
	readback *wgpu.Buffer
	pending  []string
	tickNS   float64

	// host clock: the dispatch being timed and when it started.
	name  string
	start time.Time
}

// HasTimestamps reports whether the device was opened with the
// "timestamp-query" feature (native.Open requests it where the adapter
// offers it).
func (b *Backend) HasTimestamps() bool { return b.dev.HasFeature(wgpu.FeatureNameTimestampQuery) }

// StartProfile submits the work recorded so far, waits for it and starts
// timing every dispatch by the method m (ProfileAuto: timestamps where the
// device has them). It returns an error for ProfileTimestamps on a device
// without the feature, or when a profile is already running.
func (b *Backend) StartProfile(m ProfileMethod) error {
	if b.prof != nil {
		return errors.New("gpu: a profile is already running")
	}
	ts := b.HasTimestamps()
	switch m {
	case ProfileTimestamps:
		if !ts {
			return errors.New("gpu: the device has no timestamp-query feature")
		}
	case ProfileCPU:
		ts = false
	case ProfileAuto:
	default:
		return fmt.Errorf("gpu: profile method %d", m)
	}
	b.flush()
	b.waitIdle()
	p := &profiler{timestamps: ts}
	if ts {
		if err := p.open(b); err != nil {
			p.close()
			return err
		}
	}
	p.totals = newProfileTotals()
	b.prof = p
	return nil
}

// StopProfile submits the work recorded so far, waits for it, stops
// profiling and returns the profile.
func (b *Backend) StopProfile() (Profile, error) {
	p := b.prof
	if p == nil {
		return Profile{}, errNotProfiling
	}
	b.flush()
	b.waitIdle()
	b.prof = nil
	p.close()
	if b.err != nil {
		return Profile{}, b.err
	}
	if p.timestamps {
		return p.totals.profile("timestamp-query", p.tickNS), nil
	}
	return p.totals.profile("host clock, submit+wait per dispatch", 0), nil
}

// open creates the query set and buffers and calibrates the tick length.
func (p *profiler) open(b *Backend) error {
	var err error
	if p.qs, err = b.dev.CreateQuerySet(&wgpu.QuerySetDescriptor{Label: "profile", Type: wgpu.QueryTypeTimestamp, Count: profileQueries}); err != nil {
		return fmt.Errorf("gpu: profile query set: %w", err)
	}
	if p.resolved, err = b.dev.CreateBuffer(&wgpu.BufferDescriptor{Label: "profile resolve", Size: 8 * profileQueries, Usage: wgpu.BufferUsageQueryResolve | wgpu.BufferUsageCopySrc}); err != nil {
		return fmt.Errorf("gpu: profile buffer: %w", err)
	}
	if p.readback, err = b.dev.CreateBuffer(&wgpu.BufferDescriptor{Label: "profile readback", Size: 8 * profileQueries, Usage: wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst}); err != nil {
		return fmt.Errorf("gpu: profile buffer: %w", err)
	}
	return p.calibrate(b)
}

// calibrate measures the nanoseconds per timestamp tick: one timestamp is
// written, 100 ms pass on the host, another is written; the host midpoints
// of the two submit-and-wait intervals bracket them, so the error is the
// submit latency over 100 ms (a fraction of a percent). The queue's own
// timestamp period is not exposed by the library.
func (p *profiler) calibrate(b *Backend) error {
	stamp := func(i uint32) (time.Time, error) {
		t0 := time.Now()
		enc, err := b.dev.CreateCommandEncoder(nil)
		if err != nil {
			return t0, err
		}
		defer enc.Release()
		if err := enc.WriteTimestamp(p.qs, i); err != nil {
			return t0, err
		}
		cmd, err := enc.Finish(nil)
		if err != nil {
			return t0, err
		}
		b.queue.Submit(cmd)
		cmd.Release()
		b.waitIdle()
		return t0.Add(time.Since(t0) / 2), nil
	}
	h0, err := stamp(0)
	if err != nil {
		return fmt.Errorf("gpu: profile calibration: %w", err)
	}
	time.Sleep(100 * time.Millisecond)
	h1, err := stamp(1)
	if err != nil {
		return fmt.Errorf("gpu: profile calibration: %w", err)
	}
	ticks, err := p.read(b, 2)
	if err != nil {
		return err
	}
	if ticks[1] <= ticks[0] {
		return fmt.Errorf("gpu: profile calibration: timestamps %d then %d do not advance", ticks[0], ticks[1])
	}
	p.tickNS = float64(h1.Sub(h0).Nanoseconds()) / float64(ticks[1]-ticks[0])
	return nil
}

// read resolves the first n timestamps, copies them out, waits and returns them.
func (p *profiler) read(b *Backend, n uint32) ([]uint64, error) {
	enc, err := b.dev.CreateCommandEncoder(nil)
	if err != nil {
		return nil, err
	}
	defer enc.Release()
	p.resolveInto(b, enc, n)
	cmd, err := enc.Finish(nil)
	if err != nil {
		return nil, fmt.Errorf("gpu: profile readback: %w", err)
	}
	b.queue.Submit(cmd)
	cmd.Release()
	return p.mapTicks(b, n)
}

// resolveInto records the resolve of the first n timestamps and their copy
// into the readback buffer.
func (p *profiler) resolveInto(b *Backend, enc *wgpu.CommandEncoder, n uint32) {
	b.fail(enc.ResolveQuerySet(p.qs, 0, n, p.resolved, 0))
	b.fail(enc.CopyBufferToBuffer(p.resolved, 0, p.readback, 0, 8*uint64(n)))
}

// mapTicks waits for the readback buffer's first n timestamps and returns them.
func (p *profiler) mapTicks(b *Backend, n uint32) ([]uint64, error) {
	size := 8 * uint64(n)
	done, status := false, wgpu.BufferMapAsyncStatusUnknown
	if err := p.readback.MapAsync(wgpu.MapModeRead, 0, size, func(s wgpu.BufferMapAsyncStatus) { status, done = s, true }); err != nil {
		return nil, fmt.Errorf("gpu: profile map: %w", err)
	}
	for !done {
		b.poll()
	}
	if status != wgpu.BufferMapAsyncStatusSuccess {
		return nil, fmt.Errorf("gpu: profile map: status %v", status)
	}
	raw := p.readback.GetMappedRange(0, uint(size))
	ticks := make([]uint64, n)
	for i := range ticks {
		ticks[i] = binary.LittleEndian.Uint64(raw[8*i:])
	}
	if err := p.readback.Unmap(); err != nil {
		return nil, fmt.Errorf("gpu: profile unmap: %w", err)
	}
	return ticks, nil
}

func (p *profiler) close() {
	for _, buf := range []*wgpu.Buffer{p.resolved, p.readback} {
		if buf != nil {
			buf.Destroy()
			buf.Release()
		}
	}
	if p.qs != nil {
		p.qs.Release()
	}
}

// beforeDispatch runs in dispatch before kernel name's dispatch is given
// its uniform slot: with timestamps it closes the open pass and writes
// the begin timestamp; with the host clock it submits and waits for the
// work before, then starts the clock.
func (p *profiler) beforeDispatch(b *Backend, name string) {
	if !p.timestamps {
		b.flush()
		b.waitIdle()
		p.name, p.start = name, time.Now()
		return
	}
	if 2*len(p.pending)+2 > profileQueries {
		b.flush()
	}
	b.endPass()
	b.fail(b.encoder().WriteTimestamp(p.qs, uint32(2*len(p.pending))))
	p.pending = append(p.pending, name)
}

// afterDispatch runs in dispatch once the dispatch is recorded: with
// timestamps it closes its pass and writes the end timestamp; with the
// host clock it submits, waits and records the time.
func (p *profiler) afterDispatch(b *Backend) {
	if !p.timestamps {
		b.flush()
		b.waitIdle()
		p.totals.add(p.name, float64(time.Since(p.start).Nanoseconds()))
		return
	}
	b.endPass()
	b.fail(b.encoder().WriteTimestamp(p.qs, uint32(2*len(p.pending)-1)))
}

// beforeFinish runs in flush before the batch's encoder is finished: it
// records the resolve of the batch's timestamps.
func (p *profiler) beforeFinish(b *Backend) {
	if p.timestamps && len(p.pending) > 0 {
		p.resolveInto(b, b.enc, uint32(2*len(p.pending)))
	}
}

// afterSubmit runs in flush once the batch is submitted: it waits for the
// batch's timestamps and adds each dispatch's time.
func (p *profiler) afterSubmit(b *Backend) {
	if !p.timestamps || len(p.pending) == 0 {
		return
	}
	names := p.pending
	p.pending = nil
	if b.err != nil {
		return
	}
	ticks, err := p.mapTicks(b, uint32(2*len(names)))
	if err != nil {
		b.fail(err)
		return
	}
	for i, name := range names {
		begin, end := ticks[2*i], ticks[2*i+1]
		d := 0.0
		if end > begin {
			d = float64(end-begin) * p.tickNS
		}
		p.totals.add(name, d)
	}
}
