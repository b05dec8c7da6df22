package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/noise2norm/noise2norm/internal/atomicfile"
)

// logEntry is one line of train_log.jsonl: a finished epoch (1-based), the
// steps taken in all, its learning rate, mean training and validation
// losses, training throughput, wall-clock seconds (validation and saving
// included) and whether it set a new best validation loss.
type logEntry struct {
	Epoch      int     `json:"epoch"`
	Step       int     `json:"step"`
	LR         float64 `json:"lr"`
	TrainLoss  float64 `json:"train_loss"`
	ValLoss    float64 `json:"val_loss"`
	ImagesPerS float64 `json:"images_per_s"`
	Seconds    float64 `json:"seconds"`
	Best       bool    `json:"best"`
}

// appendLog adds e as a line to the log at path.
func appendLog(path string, e logEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("%s: epoch %d: %w", path, e.Epoch, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startLog prepares train_log.jsonl: a new run starts it empty; a resumed
// one keeps the lines of the epochs its checkpoint has completed and drops
// any later ones (written by the interrupted run after its last save). The
// run of a λ search's choice starts with a line {"lambda_auto": choice}.
func (r *runner) startLog() error {
	path := filepath.Join(r.o.Out, LogFile)
	var kept bytes.Buffer
	if r.choice != nil && !r.o.Resume {
		b, err := json.Marshal(map[string]*LambdaChoice{MetaLambdaAuto: r.choice})
		if err != nil {
			return err
		}
		kept.Write(append(b, '\n'))
	}
	if r.o.Resume {
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		sc := bufio.NewScanner(bytes.NewReader(old))
		for sc.Scan() {
			var e logEntry
			if json.Unmarshal(sc.Bytes(), &e) == nil && e.Epoch <= r.st.Epoch {
				kept.Write(sc.Bytes())
				kept.WriteByte('\n')
			}
		}
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(kept.Bytes())
		return err
	})
}
