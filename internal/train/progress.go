package train

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Progress draws a one-line progress bar on a writer (stderr): redrawn in
// place with \r when the writer is a terminal, else printed as a new line at
// most every Interval, so a log file stays readable.
type Progress struct {
	w        io.Writer
	tty      bool
	Interval time.Duration    // between lines when not a terminal
	Now      func() time.Time // the clock (tests replace it)

	epochs     int
	st         status
	epochStart time.Time
	lastDraw   time.Time
	drawn      bool // a status line is on screen, not yet ended
}

// NewProgress reports on w for a run of epochs epochs. It draws in place
// when w is an *os.File on a character device (a terminal).
func NewProgress(w io.Writer, epochs int) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &Progress{w: w, tty: tty, Interval: 5 * time.Second, Now: time.Now, epochs: epochs}
}

// StartEpoch begins epoch (0-based) of steps steps, of which the first done
// are already done (a resumed epoch).
func (p *Progress) StartEpoch(epoch, steps, done int) {
	p.epochStart = p.Now()
	p.lastDraw = p.epochStart
	p.st = status{Epoch: epoch + 1, Epochs: p.epochs, Step: done, FirstStep: done, Steps: steps}
}

// Step records that a step ended, with images more images done in the epoch
// and loss the epoch's mean training loss so far, and redraws when due.
func (p *Progress) Step(images int, loss float64) {
	now := p.Now()
	p.st.Step++
	p.st.Images += images
	p.st.Loss = loss
	p.st.Elapsed = now.Sub(p.epochStart)
	if p.tty {
		if !p.drawn || now.Sub(p.lastDraw) >= ttyInterval || p.st.Step == p.st.Steps {
			fmt.Fprintf(p.w, "\r%s\x1b[K", p.st)
			p.drawn = true
			p.lastDraw = now
		}
	} else if now.Sub(p.lastDraw) >= p.Interval {
		fmt.Fprintln(p.w, p.st)
		p.lastDraw = now
	}
}

// Printf ends the status line if one is drawn and prints a message line.
func (p *Progress) Printf(format string, args ...any) {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// ttyInterval is the least time between redraws on a terminal.
const ttyInterval = 100 * time.Millisecond

// status is what the bar shows.
type status struct {
	Epoch, Epochs int // 1-based epoch of Epochs
	Step, Steps   int // steps done of the epoch's Steps
	FirstStep     int // steps that were done before the epoch (re)started
	Images        int // images trained on since (re)start
	Elapsed       time.Duration
	Loss          float64 // mean training loss of the epoch so far
}

// Rate is the images per second since the epoch (re)started.
func (s status) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Images) / s.Elapsed.Seconds()
}

// ETA estimates the time left in the epoch and in the whole run (every
// remaining epoch at this epoch's pace; early stopping may end it sooner).
// ok is false before the first step.
func (s status) ETA() (epoch, run time.Duration, ok bool) {
	done := s.Step - s.FirstStep
	if done <= 0 || s.Elapsed <= 0 {
		return 0, 0, false
	}
	perStep := s.Elapsed / time.Duration(done)
	epoch = perStep * time.Duration(s.Steps-s.Step)
	run = epoch + perStep*time.Duration(s.Steps)*time.Duration(s.Epochs-s.Epoch)
	return epoch, run, true
}

// String is the bar, e.g.
// "epoch 3/500  step 12/40  5.2 img/s  loss 0.1234  ETA 14s, run ≤ 1h02m".
func (s status) String() string {
	line := fmt.Sprintf("epoch %d/%d  step %d/%d  %.1f img/s  loss %.4f", s.Epoch, s.Epochs, s.Step, s.Steps, s.Rate(), s.Loss)
	if e, r, ok := s.ETA(); ok {
		line += fmt.Sprintf("  ETA %s, run ≤ %s", FormatDuration(e), FormatDuration(r))
	}
	return line
}

// FormatDuration writes d rounded to the second as "45s", "3m07s" or
// "2h05m" (hours drop the seconds), the way a progress bar shows it.
func FormatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	m := (s + 30) / 60
	return fmt.Sprintf("%dh%02dm", m/60, m%60)
}
