package format

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// fuzzDecode checks the invariants every decoder keeps on any input: no panic,
// no endless loop, records no wider than the columns, locations increasing.
func fuzzDecode(t *testing.T, data []byte, opts Options) {
	dec, err := Open(bytes.NewReader(data), opts)
	if err != nil {
		return
	}
	var rec Record
	last := int64(0)
	for i := 0; ; i++ {
		if i > len(data)+10 {
			t.Fatalf("more records (%d) than input bytes (%d)", i, len(data))
		}
		err := dec.Next(&rec)
		if err == io.EOF {
			return
		}
		var re *RecordError
		if errors.As(err, &re) {
			if re.Loc < last {
				t.Fatalf("reject location %d after %d", re.Loc, last)
			}
			last = re.Loc
			continue
		}
		if err != nil {
			return // a fatal error ends the file
		}
		if len(rec.Values) > len(dec.Columns()) {
			t.Fatalf("record of %d values, %d columns", len(rec.Values), len(dec.Columns()))
		}
		if rec.Loc < last {
			t.Fatalf("location %d after %d", rec.Loc, last)
		}
		last = rec.Loc
	}
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"a\"\"\",b\r\n\"x\ny\",2\n", "a\n\"open", "\xef\xbb\xbfa;b\n1;2", "a,b\n1,2,3\n\n4\n", "a,b\n\"x\"y,z\n"} {
		f.Add([]byte(s), byte(','), false, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, delim byte, noHeader, escape bool) {
		opts := Options{Format: "csv", Delimiter: rune(delim), NoHeader: noHeader}
		if delim == 0 || delim == '"' || delim == '\n' || delim == '\r' || delim >= 0x80 {
			opts.Delimiter = ','
		}
		if escape {
			opts.Escape = '\\'
		}
		fuzzDecode(t, data, opts)
		opts.Encoding = "latin-1"
		fuzzDecode(t, data, opts)
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{`[{"a":1},{"b":[1,2]}]`, `{"a":{"b":null}}`, `[1, {"a": "x"}]`, `[{"a":1},`, ``, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, data, Options{Format: "json"})
	})
}

func FuzzJSONL(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n{\"b\":\"x\"}\n", "{\"a\":1}{\"b\":2}\n", "not json\n\n{}", "{\"a\":[1,{\"b\":null}]}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, data, Options{Format: "jsonl"})
	})
}
