package backend

import "math"

// Constants of the loss and anomaly map (spec "Loss map and anomaly map").
var (
	// MSSSIMSigmas are the Gaussian σ of the MS-SSIM scales; the luminance
	// term and the L1 blur use the last one.
	MSSSIMSigmas = []float64{0.5, 1, 2, 4, 8}
)

const (
	SSIMC1 = 0.01 * 0.01
	SSIMC2 = 0.03 * 0.03
)

// GaussianTaps returns the 2r+1 normalised taps of G_σ, r = ceil(3σ).
func GaussianTaps(sigma float64) []float32 {
	r := int(math.Ceil(3 * sigma))
	t := make([]float64, 2*r+1)
	sum := 0.0
	for i := range t {
		d := float64(i - r)
		t[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += t[i]
	}
	out := make([]float32, len(t))
	for i := range t {
		out[i] = float32(t[i] / sum)
	}
	return out
}
