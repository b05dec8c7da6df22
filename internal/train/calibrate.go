package train

import (
	"path/filepath"
	"time"

	"github.com/noise2norm/noise2norm/internal/model"
)

// MaxCalibrationImages bounds the training images whose maps give the
// calibration's per-position statistics: ring pooling needs far fewer (see
// model.RingStats), and it keeps calibration short on large data sets.
const MaxCalibrationImages = 256

// calibrate rewrites best.safetensors with a calibration fitted from the
// run's normal images (model.FitCalibration): per-position statistics from
// the maps of up to MaxCalibrationImages training images, the threshold
// from the validation images. The maps are detect's (the weights' λ, seed
// 0). Without validation images it writes none and says how to calibrate.
func (r *runner) calibrate() error {
	path := filepath.Join(r.o.Out, BestFile)
	if len(r.ds.Val) == 0 {
		r.bar.Printf("calibration: none (-val 0 leaves no held-out normal images to set a threshold with); calibrate %s with eval -calibrate on a test set", path)
		return nil
	}
	start := time.Now()
	w, err := model.ReadWeights(path)
	if err != nil {
		return err
	}
	m, err := model.New(r.be, w)
	if err != nil {
		return err
	}
	defer m.Free()
	r.bar.Printf("calibration: maps of %d training and %d validation images (λ %g, seed 0, as detect)",
		min(len(r.ds.Train), MaxCalibrationImages), len(r.ds.Val), m.Cfg.Lambda)
	cal, err := calibrateModel(m, r.ds, r.o.Batch, r.deviceError)
	if err != nil {
		return err
	}
	if err := model.WriteCalibrated(path, w, cal); err != nil {
		return err
	}
	r.bar.Printf("calibration: threshold %.4g on the calibrated score (%s), score_min %.4g, score_max %.4g; written to %s in %s",
		cal.Threshold, cal.Rule, cal.ScoreMin, cal.ScoreMax, path, FormatDuration(time.Since(start)))
	return nil
}
