package format

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/sluice-data/sluice/internal/record"
)

// FuzzParquet decodes arbitrary bytes as Parquet: no panic, no hang, locations
// that increase, no more rows than the footer declares, and values of the
// documented types (valid UTF-8 text, valid JSON). Seeds are the golden files
// and testdata/fuzz/FuzzParquet.
func FuzzParquet(f *testing.F) {
	files, _ := filepath.Glob("testdata/parquet/*.parquet")
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := OpenParquet(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		defer d.Close()
		var rec Record
		var loc int64
		for {
			err := d.Next(&rec)
			if err == io.EOF {
				break
			}
			if IsRecordError(err) {
				loc++
				continue
			}
			if err != nil {
				return
			}
			loc++
			if rec.Loc != loc {
				t.Fatalf("loc %d, want %d", rec.Loc, loc)
			}
			if loc > d.NumRows() {
				t.Fatalf("row %d of a file that declares %d", loc, d.NumRows())
			}
			if len(rec.Values) != len(d.Columns()) {
				t.Fatalf("%d values for %d columns", len(rec.Values), len(d.Columns()))
			}
			for _, v := range rec.Values {
				switch x := v.(type) {
				case nil, bool, int64:
				case float64:
					if math.IsNaN(x) || math.IsInf(x, 0) {
						t.Fatalf("double %v reached the record", x)
					}
				case string:
					if !utf8.ValidString(x) {
						t.Fatalf("invalid UTF-8 %q", x)
					}
				case json.Number:
					if record.Infer(x).Kind == record.KindText {
						t.Fatalf("number %q is not a number", x)
					}
				case record.Decimal:
					if typ := record.Infer(x); typ.Precision < 38 {
						if _, err := record.Convert(x, typ); err != nil {
							t.Fatalf("decimal %q as %s: %v", x, typ, err)
						}
					}
				case record.JSON:
					if !json.Valid(x) {
						t.Fatalf("invalid JSON %s", x)
					}
				default:
					t.Fatalf("value of type %T", v)
				}
			}
		}
		if _, err := d.Checksum(); err != nil {
			return
		}
	})
}
