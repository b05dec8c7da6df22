package imageio

import (
	"fmt"
	"image"
	"image/png"
	"io"

	"github.com/noise2norm/noise2norm/internal/atomicfile"
)

// WritePNG encodes img as PNG to path atomically: the file at path is either
// the complete new image or, on any error, left as it was.
func WritePNG(path string, img image.Image) error {
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// writeAtomic writes path through fill atomically, errors prefixed "imageio:".
func writeAtomic(path string, fill func(io.Writer) error) error {
	if err := atomicfile.Write(path, fill); err != nil {
		return fmt.Errorf("imageio: %w", err)
	}
	return nil
}
