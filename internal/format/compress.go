package format

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Detect tells a file's format and compression from its name: .csv, .tsv (or
// .tab), .jsonl or .ndjson (format jsonl), .json and .parquet, each optionally
// followed by .gz/.gzip (compression gzip) or .zst/.zstd (zstd). Case does not
// matter. An unknown extension gives format "".
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

// zstdMaxWindow bounds the memory a zstd stream may ask for: frames written with
// a larger window (zstd --long=28 and above) are refused rather than allowed to
// take gigabytes. Every standard compression level stays far below it.
const zstdMaxWindow = 128 << 20

// Decompress wraps r to undo compression: "gzip" (streams of several members
// too), "zstd", or "" / "none" for none. Decompression streams in a fixed amount
// of memory, on the caller's goroutine. Closing the result releases the
// decompressor; it does not close r. An empty gzip input is an empty stream.
func Decompress(r io.Reader, compression string) (io.ReadCloser, error) {
	switch strings.ToLower(compression) {
	case "", "none":
		return io.NopCloser(r), nil
	case "gzip", "gz":
		zr, err := gzip.NewReader(r)
		if err == io.EOF {
			return io.NopCloser(strings.NewReader("")), nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading gzip data: %w", err)
		}
		return zr, nil
	case "zstd", "zst":
		zr, err := zstd.NewReader(r,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return nil, fmt.Errorf("reading zstd data: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown compression %q: use gzip, zstd or none", compression)
}
