// Package imageio moves images in and out of the network's tensors: it loads
// PNG, JPEG, GIF, BMP, TIFF and WebP files with a pixel limit checked before
// decoding, converts images to the normalised (3,S,S) CHW input x0 and back,
// draws JET heatmaps, and writes PNG and NumPy .npy files atomically.
package imageio

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	// Decoders registered with image.Decode.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// DefaultMaxPixels is the pixel limit LoadRGB applies when given maxPixels ≤ 0:
// 50 megapixels, about 200 MB once decoded at 8 bits per RGBA channel.
const DefaultMaxPixels = 50_000_000

// extensions are the file name extensions of the formats LoadRGB decodes.
var extensions = []string{".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

// HasImageExt reports whether name ends in the extension of a format LoadRGB
// decodes (case-insensitive).
func HasImageExt(name string) bool {
	return slices.Contains(extensions, strings.ToLower(filepath.Ext(name)))
}

// LoadRGB decodes the image file at path. It reads only the header first and
// refuses an image of more than maxPixels pixels (DefaultMaxPixels when
// maxPixels ≤ 0) before decoding any pixel data. Every error names the file;
// a decoder panic on a malformed file is returned as an error too. The image
// keeps its decoded type (grey, 16-bit, alpha…); ToTensor makes it RGB.
func LoadRGB(path string, maxPixels int) (img image.Image, err error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("imageio: %w", err)
	}
	defer f.Close()
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("imageio: %s: malformed image (decoder panicked: %v)", path, r)
		}
	}()

	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return nil, decodeError(path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("imageio: %s: %s image of %d×%d pixels is empty", path, format, cfg.Width, cfg.Height)
	}
	if n := int64(cfg.Width) * int64(cfg.Height); n > int64(maxPixels) {
		return nil, fmt.Errorf("imageio: %s: %s image of %d×%d = %d pixels exceeds the limit of %d",
			path, format, cfg.Width, cfg.Height, n, maxPixels)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("imageio: %w", err)
	}
	img, _, err = image.Decode(f)
	if err != nil {
		return nil, decodeError(path, err)
	}
	return img, nil
}

// decodeError names path in a decoder's error.
func decodeError(path string, err error) error {
	if errors.Is(err, image.ErrFormat) {
		return fmt.Errorf("imageio: %s: not an image in a known format (png, jpeg, gif, bmp, tiff, webp)", path)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("imageio: %s: truncated image (%v)", path, err)
	}
	return fmt.Errorf("imageio: %s: corrupt image: %v", path, err)
}
