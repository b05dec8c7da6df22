package train

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress reports a training run's progress on a writer (stderr): on a
// terminal as a bar redrawn in place (github.com/schollz/progressbar/v3,
// one per epoch, its description the status line), elsewhere as a status
// line printed at most every Interval, so a log file stays readable.
type Progress struct {
	w        io.Writer
	tty      bool
	Interval time.Duration    // between lines when not a terminal
	Now      func() time.Time // the clock (tests replace it)

	epochs     int
	st         status
	epochStart time.Time
	lastDraw   time.Time
	bar        *progressbar.ProgressBar // the epoch's bar on a terminal
	drawn      bool                     // a bar is on screen, its line not ended
}

// NewProgress reports on w for a run of epochs epochs. It draws a bar when
// w is an *os.File on a character device (a terminal).
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
	if p.tty {
		p.endLine()
		p.bar = progressbar.NewOptions(steps,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.st.description()),
			progressbar.OptionSetWidth(24),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionThrottle(ttyInterval),
			progressbar.OptionUseANSICodes(true),
		)
		if done > 0 {
			p.bar.Set(done)
			p.drawn = true
		}
	}
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
		// Each redraws at most every ttyInterval and at the last step; the
		// text between redraws is at most one step old.
		p.bar.Add(1)
		p.bar.Describe(p.st.description())
		p.drawn = true
	} else if now.Sub(p.lastDraw) >= p.Interval {
		fmt.Fprintln(p.w, p.st)
		p.lastDraw = now
	}
}

// Printf ends the bar's line if one is drawn and prints a message line.
func (p *Progress) Printf(format string, args ...any) {
	p.endLine()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// endLine ends the line of a bar on screen, so that what follows starts on
// a line of its own.
func (p *Progress) endLine() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
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

// description is the terminal bar's text before the bar (the bar shows
// the steps), e.g. "epoch 3/500  loss 0.1234  5.2 img/s  run ≤ 1h02m".
func (s status) description() string {
	line := fmt.Sprintf("epoch %d/%d  loss %.4f  %.1f img/s", s.Epoch, s.Epochs, s.Loss, s.Rate())
	if e, r, ok := s.ETA(); ok {
		line += fmt.Sprintf("  ETA %s, run ≤ %s", FormatDuration(e), FormatDuration(r))
	}
	return line
}

// String is the status line, e.g.
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
