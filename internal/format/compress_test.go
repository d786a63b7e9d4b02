package format

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, format, compression string }{
		{"a.csv", "csv", ""},
		{"dir/b.CSV.GZ", "csv", "gzip"},
		{"s3://bucket/x.y/c.tsv.gzip", "tsv", "gzip"},
		{"d.tab", "tsv", ""},
		{"e.jsonl.zst", "jsonl", "zstd"},
		{"f.ndjson.zstd", "jsonl", "zstd"},
		{"g.ndjson", "jsonl", ""},
		{"h.json", "json", ""},
		{"i.json.gz", "json", "gzip"},
		{"j.parquet", "parquet", ""},
		{"k.txt", "", ""},
		{"l.gz", "", "gzip"},
		{"csv", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, c := Detect(tt.name)
			if f != tt.format || c != tt.compression {
				t.Errorf("Detect(%q) = %q, %q; want %q, %q", tt.name, f, c, tt.format, tt.compression)
			}
		})
	}
}

func gzipped(t *testing.T, members ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, m := range members {
		w := gzip.NewWriter(&b)
		if _, err := w.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func zstded(t *testing.T, data string, opts ...zstd.EOption) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := zstd.NewWriter(&b, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// closeRecorder records whether it was closed.
type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestDecompress(t *testing.T) {
	t.Parallel()
	payload := "id,name\n" + strings.Repeat("1,\"x\ny\"\n", 10000)
	tests := []struct {
		name, compression string
		input             func(t *testing.T) []byte
		want              string
	}{
		{"gzip", "gzip", func(t *testing.T) []byte { return gzipped(t, payload) }, payload},
		{"gzip members", "gzip", func(t *testing.T) []byte { return gzipped(t, payload[:5], "", payload[5:]) }, payload},
		{"empty gzip file", "gzip", func(*testing.T) []byte { return nil }, ""},
		{"zstd", "zstd", func(t *testing.T) []byte { return zstded(t, payload) }, payload},
		{"zstd frames", "zstd", func(t *testing.T) []byte {
			return append(zstded(t, payload[:7]), zstded(t, payload[7:], zstd.WithEncoderLevel(zstd.SpeedBestCompression))...)
		}, payload},
		{"none", "none", func(*testing.T) []byte { return []byte(payload) }, payload},
		{"no compression", "", func(*testing.T) []byte { return []byte(payload) }, payload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := &closeRecorder{Reader: bytes.NewReader(tt.input(t))}
			r, err := Decompress(src, tt.compression)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %d bytes, want %d", len(got), len(tt.want))
			}
			if src.closed {
				t.Error("closing the decompressor closed its source")
			}
		})
	}
}

func TestDecompressErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, compression string
		input             func(t *testing.T) []byte
		want              string // in the error of Decompress or of reading; "": none
	}{
		{"unknown compression", "lz4", func(*testing.T) []byte { return nil }, `unknown compression "lz4": use gzip, zstd or none`},
		{"not gzip", "gzip", func(*testing.T) []byte { return []byte("a,b\n1,2\n3,4\n") }, "reading gzip data: gzip: invalid header"},
		{"truncated gzip", "gzip", func(t *testing.T) []byte { b := gzipped(t, "a,b\n1,2\n"); return b[:len(b)-4] }, "unexpected EOF"},
		{"not zstd", "zstd", func(*testing.T) []byte { return []byte("a,b\n") }, "magic number mismatch"},
		{"zstd window over the limit", "zstd", func(*testing.T) []byte {
			// A frame that asks for a 256 MiB window, then one raw block "a,b\n".
			return []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, (28 - 10) << 3, 0x21, 0x00, 0x00, 'a', ',', 'b', '\n'}
		}, "window size exceeded"},
		{"zstd window within the limit", "zstd", func(*testing.T) []byte {
			return []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, (27 - 10) << 3, 0x21, 0x00, 0x00, 'a', ',', 'b', '\n'}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Decompress(bytes.NewReader(tt.input(t)), tt.compression)
			if err == nil {
				_, err = io.ReadAll(r)
				r.Close()
			}
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestCompressedCSV decodes a compressed file from its name to its records.
func TestCompressedCSV(t *testing.T) {
	t.Parallel()
	format, compression := Detect("orders.csv.gz")
	r, err := Decompress(bytes.NewReader(gzipped(t, "id,note\n1,\"a\nb\"\n", "2,c\n")), compression)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dec, err := Open(r, Options{Format: format})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]any
	var rec Record
	for {
		err := dec.Next(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, append([]any(nil), rec.Values...))
	}
	if want := [][]any{{"1", "a\nb"}, {"2", "c"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
}
