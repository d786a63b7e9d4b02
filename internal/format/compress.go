package format

import (
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Detect tells a file's format and compression from its name: .csv, .tsv,
// .jsonl, .ndjson and .json, each optionally followed by .gz/.gzip or
// .zst/.zstd. Unknown names give "".
func Detect(name string) (format, compression string) {
	base := strings.ToLower(path.Base(name))
	switch ext := path.Ext(base); ext {
	case ".gz", ".gzip":
		compression, base = "gzip", strings.TrimSuffix(base, ext)
	case ".zst", ".zstd":
		compression, base = "zstd", strings.TrimSuffix(base, ext)
	}
	switch path.Ext(base) {
	case ".csv":
		format = "csv"
	case ".tsv", ".tab":
		format = "tsv"
	case ".jsonl", ".ndjson":
		format = "jsonl"
	case ".json":
		format = "json"
	case ".parquet":
		format = "parquet"
	}
	return format, compression
}

// Decompress wraps r to undo compression: "gzip" (multi-member streams too),
// "zstd", or "" / "none" for none. Closing the result does not close r.
func Decompress(r io.Reader, compression string) (io.ReadCloser, error) {
	switch compression {
	case "", "none":
		return io.NopCloser(r), nil
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("reading gzip data: %w", err)
		}
		return zr, nil
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return nil, fmt.Errorf("reading zstd data: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown compression %q: use gzip, zstd or none", compression)
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
