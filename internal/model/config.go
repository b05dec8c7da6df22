// Package model is the N2N-M network of ../shared/spec/n2n-m.md, its
// parameters and weights files, written once against backend.Backend.
package model

import (
	"fmt"
	"strconv"
)

// Config holds the spec's configuration values.
type Config struct {
	WF        int     // base width; level i has WF·2^i channels
	Depth     int     // number of levels (scales)
	Size      int     // input side S, divisible by 2^(Depth−1)
	Lambda    float32 // noise weight λ
	Alpha     float32 // MS-SSIM weight α in loss and anomaly map
	Attention bool    // residual attention (false: 1×1 conv only)
}

// DefaultConfig is the spec's default configuration.
func DefaultConfig() Config {
	return Config{WF: 32, Depth: 4, Size: 256, Lambda: 0.3, Alpha: 0.84, Attention: true}
}

// Channels returns C_i = WF·2^i.
func (c Config) Channels(i int) int { return c.WF << i }

// Validate reports the first configuration value that the network cannot use.
func (c Config) Validate() error {
	switch {
	case c.WF < 2 || c.WF%2 != 0:
		return fmt.Errorf("wf = %d: want an even width ≥ 2 (pixel shuffle needs C_{i+1}/4 = C_i/2 channels)", c.WF)
	case c.Depth < 1 || c.Depth > 8:
		return fmt.Errorf("depth = %d: want 1 to 8", c.Depth)
	case c.Size < 1 || c.Size%(1<<(c.Depth-1)) != 0:
		return fmt.Errorf("size = %d: must be a positive multiple of 2^(depth-1) = %d", c.Size, 1<<(c.Depth-1))
	case c.Lambda < 0 || c.Lambda >= 1:
		return fmt.Errorf("lambda = %g: want 0 ≤ λ < 1", c.Lambda)
	case c.Alpha < 0 || c.Alpha > 1:
		return fmt.Errorf("alpha = %g: want 0 ≤ α ≤ 1", c.Alpha)
	}
	return nil
}

// Metadata returns the configuration as the weights file's __metadata__
// strings, with format and version.
func (c Config) Metadata() map[string]string {
	return map[string]string{
		"format":    Format,
		"version":   Version,
		"wf":        strconv.Itoa(c.WF),
		"depth":     strconv.Itoa(c.Depth),
		"size":      strconv.Itoa(c.Size),
		"lambda":    strconv.FormatFloat(float64(c.Lambda), 'g', -1, 32),
		"alpha":     strconv.FormatFloat(float64(c.Alpha), 'g', -1, 32),
		"attention": strconv.FormatBool(c.Attention),
	}
}

// Weights file identification (spec "Weights file").
const (
	Format  = "n2n-m"
	Version = "1"
)

// ConfigFromMetadata parses and validates the configuration of a weights
// file's metadata, refusing a wrong format or version and naming any missing
// or malformed key.
func ConfigFromMetadata(meta map[string]string) (Config, error) {
	if f := meta["format"]; f != Format {
		return Config{}, fmt.Errorf("metadata format = %q, want %q", f, Format)
	}
	if v := meta["version"]; v != Version {
		return Config{}, fmt.Errorf("metadata version = %q, want %q", v, Version)
	}
	var c Config
	var err error
	ints := []struct {
		key string
		dst *int
	}{{"wf", &c.WF}, {"depth", &c.Depth}, {"size", &c.Size}}
	for _, f := range ints {
		if *f.dst, err = strconv.Atoi(meta[f.key]); err != nil {
			return Config{}, fmt.Errorf("metadata %q = %q: not an integer", f.key, meta[f.key])
		}
	}
	floats := []struct {
		key string
		dst *float32
	}{{"lambda", &c.Lambda}, {"alpha", &c.Alpha}}
	for _, f := range floats {
		v, err := strconv.ParseFloat(meta[f.key], 32)
		if err != nil {
			return Config{}, fmt.Errorf("metadata %q = %q: not a number", f.key, meta[f.key])
		}
		*f.dst = float32(v)
	}
	if c.Attention, err = strconv.ParseBool(meta["attention"]); err != nil {
		return Config{}, fmt.Errorf("metadata %q = %q: want true or false", "attention", meta["attention"])
	}
	return c, c.Validate()
}
