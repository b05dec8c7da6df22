package imageio

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
)

// WritePNG encodes img as PNG to path atomically: the file at path is either
// the complete new image or, on any error, left as it was.
func WritePNG(path string, img image.Image) error {
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// writeAtomic writes path through fill into a temporary file in the same
// directory, syncs and closes it, then renames it over path. On any error the
// temporary file is removed and path is untouched. (internal/safetensors has
// the same sequence for weights files.)
func writeAtomic(path string, fill func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("imageio: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("imageio: writing %s: %w", path, err)
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
