package train

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestFormatDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {400 * time.Millisecond, "0s"}, {45 * time.Second, "45s"}, {59600 * time.Millisecond, "1m00s"},
		{187 * time.Second, "3m07s"}, {3599 * time.Second, "59m59s"}, {3600 * time.Second, "1h00m"},
		{2*time.Hour + 5*time.Minute + 29*time.Second, "2h05m"}, {2*time.Hour + 5*time.Minute + 31*time.Second, "2h06m"},
		{30 * time.Hour, "30h00m"},
	} {
		if got := FormatDuration(c.d); got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestStatusRateAndETA(t *testing.T) {
	// Epoch 3 of 10, 4 of 20 steps done in 8 s (2 s a step) with 16 images.
	s := status{Epoch: 3, Epochs: 10, Step: 4, Steps: 20, Images: 16, Elapsed: 8 * time.Second, Loss: 0.123456}
	if r := s.Rate(); r != 2 {
		t.Errorf("Rate = %g, want 2 images/s", r)
	}
	e, r, ok := s.ETA()
	// 16 steps left in the epoch; 7 epochs of 20 steps after it.
	if !ok || e != 32*time.Second || r != 32*time.Second+7*40*time.Second {
		t.Errorf("ETA = %v, %v, %t; want 32s, 5m12s, true", e, r, ok)
	}
	want := "epoch 3/10  step 4/20  2.0 img/s  loss 0.1235  ETA 32s, run ≤ 5m12s"
	if got := s.String(); got != want {
		t.Errorf("status = %q\nwant      %q", got, want)
	}
	// A resumed epoch: the pace counts only the steps since the restart.
	s = status{Epoch: 1, Epochs: 1, Step: 12, FirstStep: 10, Steps: 20, Images: 8, Elapsed: 4 * time.Second}
	if e, _, _ := s.ETA(); e != 16*time.Second {
		t.Errorf("resumed ETA = %v, want 16s (8 steps at 2 s)", e)
	}
	s = status{Epoch: 1, Epochs: 1, Steps: 20}
	if _, _, ok := s.ETA(); ok || s.Rate() != 0 || strings.Contains(s.String(), "ETA") {
		t.Errorf("before the first step: ETA ok %t, rate %g, %q; want no estimate", ok, s.Rate(), s.String())
	}
}

func TestProgressLinesWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, 2)
	now := time.Unix(0, 0)
	p.Now = func() time.Time { return now }
	p.StartEpoch(0, 10, 0)
	for range 10 {
		now = now.Add(time.Second)
		p.Step(4, 0.5)
	}
	p.Printf("done %d", 1)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	// A line every 5 s (after steps 5 and 10), then the message; no \r.
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "epoch 1/2  step 5/10  4.0 img/s") ||
		!strings.HasPrefix(lines[1], "epoch 1/2  step 10/10") || lines[2] != "done 1" || strings.Contains(buf.String(), "\r") {
		t.Errorf("progress output:\n%s", buf.String())
	}
}

// TestProgressBarOnATerminal checks the terminal bar: redrawn in place,
// the status in its text, the step count, and a message on a line of its
// own after it.
func TestProgressBarOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, 1)
	p.tty = true
	p.StartEpoch(0, 3, 0)
	for range 3 {
		p.Step(1, 0.5)
	}
	p.Printf("end")
	got := buf.String()
	assert.True(t, strings.HasPrefix(got, "\r"), "no \\r redraw: %q", got)
	assert.Contains(t, got, "epoch 1/1  loss 0.5000")
	assert.Contains(t, got, "(3/3)")
	assert.True(t, strings.HasSuffix(got, "\nend\n"), "message not on its own line: %q", got)
}

// TestProgressBarResumedEpoch checks that a resumed epoch's bar starts at
// the steps already done.
func TestProgressBarResumedEpoch(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, 2)
	p.tty = true
	p.StartEpoch(1, 10, 7)
	assert.Contains(t, buf.String(), "(7/10)")
	p.Printf("msg")
	assert.True(t, strings.HasSuffix(buf.String(), "\nmsg\n"), "message after a resumed bar: %q", buf.String())
}
