package format

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/sluice-data/sluice/internal/record"
)

// outcome is one result of Next: a record's values or a reject.
type outcome struct {
	loc    int64
	values []any
	reject *RecordError
}

// String formats an outcome for a failure message.
func (o outcome) String() string {
	if o.reject != nil {
		return fmt.Sprintf("%d: reject %q", o.loc, o.reject.Reason)
	}
	return fmt.Sprintf("%d: %#v", o.loc, o.values)
}

// checkDecoder decodes data to its end and checks what every decoder promises
// on any input: no panic, an end after at most one result per input byte,
// locations that increase, columns that only grow, records no wider than the
// columns, values of the documented types, valid UTF-8 text. It returns the
// results, the final columns and the error that ended the file, if any.
func checkDecoder(t *testing.T, data []byte, opts Options) ([]outcome, []string, error) {
	t.Helper()
	dec, err := Open(bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, err
	}
	var (
		out    []outcome
		rec    Record
		cols   []string
		offset int64
	)
	for {
		if len(out) > len(data) {
			t.Fatalf("%d results from %d bytes", len(out), len(data))
		}
		err := dec.Next(&rec)
		if off := dec.Offset(); off < offset {
			t.Fatalf("Offset went back from %d to %d", offset, off)
		} else {
			offset = off
		}
		now := dec.Columns()
		if len(now) < len(cols) || !slices.Equal(now[:len(cols)], cols) {
			t.Fatalf("columns changed from %q to %q", cols, now)
		}
		cols = slices.Clone(now)
		for _, c := range cols {
			if !utf8.ValidString(c) {
				t.Fatalf("column name %q is not UTF-8", c)
			}
		}
		if err == io.EOF {
			return out, cols, nil
		}
		var re *RecordError
		if errors.As(err, &re) {
			out = append(out, outcome{loc: re.Loc, reject: re})
		} else if err != nil {
			return out, cols, err
		} else {
			checkValues(t, rec.Values, len(cols))
			out = append(out, outcome{loc: rec.Loc, values: slices.Clone(rec.Values)})
		}
		if n := len(out); out[n-1].loc < 1 || n > 1 && out[n-1].loc <= out[n-2].loc {
			t.Fatalf("location %d after %v", out[n-1].loc, out[:n-1])
		}
	}
}

func checkValues(t *testing.T, values []any, columns int) {
	t.Helper()
	if len(values) > columns {
		t.Fatalf("%d values for %d columns", len(values), columns)
	}
	for _, v := range values {
		switch v := v.(type) {
		case nil, bool:
		case string:
			if !utf8.ValidString(v) {
				t.Fatalf("value %q is not UTF-8", v)
			}
		case json.Number:
			if _, err := strconv.ParseFloat(string(v), 64); err != nil && !errors.Is(err, strconv.ErrRange) {
				t.Fatalf("json.Number %q: %v", v, err)
			}
		case record.JSON:
			var b bytes.Buffer
			if err := json.Compact(&b, v); err != nil || !bytes.Equal(b.Bytes(), v) {
				t.Fatalf("record.JSON %q is not compact JSON: %v", v, err)
			}
		default:
			t.Fatalf("value %#v of type %T", v, v)
		}
	}
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n"), byte(','), byte('"'), false, false)
	f.Add([]byte("\"a\"\"\",b\r\n\"x\ny\",2\n"), byte(','), byte('"'), false, false)
	f.Add([]byte("a;b\n'x;''y';\\'\n"), byte(';'), byte('\''), false, true)
	f.Add([]byte("a\xe9b\n1\xe92\n"), byte(0xe9), byte(0xe8), true, false)
	f.Fuzz(func(t *testing.T, data []byte, delim, quote byte, noHeader, escape bool) {
		opts := Options{Delimiter: rune(delim), Quote: rune(quote), NoHeader: noHeader}
		if escape {
			opts.Escape = '\\'
		}
		for _, enc := range []string{"utf-8", "latin-1", "windows-1252"} {
			opts.Encoding = enc
			out, cols, err := checkDecoder(t, data, opts)
			for _, o := range out {
				if o.reject == nil && len(o.values) != len(cols) {
					t.Fatalf("record %v for columns %q", o, cols)
				}
			}
			if err != nil && out != nil {
				t.Fatalf("error %v from a bytes.Reader", err)
			}
		}
		if quote == '"' && !escape {
			compareWithEncodingCSV(t, data, rune(delim), noHeader)
		}
	})
}

// compareWithEncodingCSV checks the decoder against encoding/csv on the inputs
// where they must agree: valid UTF-8, strict RFC 4180 (which encoding/csv
// accepts), and no CR, which encoding/csv drops from quoted CRLF.
func compareWithEncodingCSV(t *testing.T, data []byte, delim rune, noHeader bool) {
	if delim == 0 {
		delim = ','
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, '\r') >= 0 || bytes.HasPrefix(data, utf8BOM) ||
		delim == '"' || delim == '\n' || delim == '\r' || delim == utf8.RuneError {
		return
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma, r.FieldsPerRecord = delim, -1
	var want []outcome
	width := -1
	for {
		fields, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return // not strict RFC 4180
		}
		line, _ := r.FieldPos(0)
		switch {
		case width < 0 && !noHeader:
			width = len(fields)
			continue
		case width < 0:
			width = len(fields)
		}
		if len(fields) != width {
			want = append(want, outcome{loc: int64(line), reject: &RecordError{}})
			continue
		}
		values := make([]any, len(fields))
		for i, f := range fields {
			values[i] = f
		}
		want = append(want, outcome{loc: int64(line), values: values})
	}
	got, _, err := checkDecoder(t, data, Options{Delimiter: delim, NoHeader: noHeader, NullValues: []string{}})
	if err != nil {
		t.Fatalf("error %v; encoding/csv read %v", err, want)
	}
	for i := range got {
		if got[i].reject != nil {
			got[i].reject = &RecordError{}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %v\nencoding/csv %v", got, want)
	}
}

func FuzzJSONL(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":\"x\"}\n"))
	f.Add([]byte("{\"a\":1}{\"b\":2}\n\n  \n[1]\n"))
	f.Add([]byte("not json\n\n{}"))
	f.Add([]byte("{\"a\":[1,{\"b\":null}],\"c\\u00e9\":\"\\ud83d\\ude00 \xff\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, cols, err := checkDecoder(t, data, Options{Format: "jsonl"})
		if err != nil {
			t.Fatalf("error %v from a bytes.Reader", err)
		}
		// Compare each line with encoding/json.
		lines := bytes.Split(bytes.TrimPrefix(data, utf8BOM), []byte("\n"))
		for i, line := range lines {
			line = trimSpace(line)
			if len(line) == 0 {
				continue
			}
			if len(got) == 0 || got[0].loc != int64(i+1) {
				t.Fatalf("line %d %q: no result; got %v", i+1, line, got)
			}
			compareObject(t, line, got[0], cols)
			got = got[1:]
		}
		if len(got) > 0 {
			t.Fatalf("results for no line: %v", got)
		}
	})
}

// compareObject checks one decoded JSON value against encoding/json's reading
// of its text.
func compareObject(t *testing.T, text []byte, got outcome, cols []string) {
	t.Helper()
	var want map[string]any
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	if !json.Valid(text) || text[0] != '{' || dec.Decode(&want) != nil {
		if got.reject == nil {
			t.Fatalf("%q: decoded %v, want a reject", text, got)
		}
		return
	}
	if got.reject != nil {
		t.Fatalf("%q: rejected: %v", text, got.reject)
	}
	if _, ok := want[""]; ok {
		return // named column_N, which another key may be named too
	}
	have := map[string]any{}
	for i, v := range got.values {
		if v == nil && want[cols[i]] == nil {
			continue
		}
		if j, ok := v.(record.JSON); ok {
			dec := json.NewDecoder(bytes.NewReader(j))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
		}
		have[cols[i]] = v
	}
	for k, v := range want {
		if v == nil {
			delete(want, k)
		}
	}
	if !reflect.DeepEqual(have, want) {
		t.Fatalf("%q: decoded %#v, encoding/json %#v", text, have, want)
	}
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`[{"a":1},{"b":[1,2]}]`))
	f.Add([]byte(`{"a":{"b":null}}`))
	f.Add([]byte(`[1, {"a": "x"}, null]`))
	f.Add([]byte(`[{"a":1},`))
	f.Add([]byte(`{"a":1} {"a":2}`))
	f.Add([]byte(` [ ] `))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, cols, err := checkDecoder(t, data, Options{Format: "json"})
		text := trimSpace(bytes.TrimPrefix(data, utf8BOM))
		if len(text) == 0 || text[0] != '[' {
			return
		}
		var elems []json.RawMessage
		if json.Unmarshal(text, &elems) != nil {
			if err == nil {
				t.Fatalf("invalid JSON array, yet no error; got %v", got)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid JSON array: %v", err)
		}
		if len(got) != len(elems) {
			t.Fatalf("%d results for %d elements", len(got), len(elems))
		}
		for i, e := range elems {
			if got[i].loc != int64(i+1) {
				t.Fatalf("element %d at location %d", i+1, got[i].loc)
			}
			compareObject(t, trimSpace(e), got[i], cols)
		}
	})
}
