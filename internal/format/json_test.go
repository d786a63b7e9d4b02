package format

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sluice-data/sluice/internal/record"
)

func TestJSONL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		input   string
		opts    Options
		cols    []string
		records [][]any
		locs    []int64
		rejects []string
	}{
		{name: "values", input: `{"s": "x", "n": 1.5e3, "i": -7, "t": true, "f": false, "z": null}`,
			cols:    []string{"s", "n", "i", "t", "f", "z"},
			records: [][]any{{"x", json.Number("1.5e3"), json.Number("-7"), true, false, nil}}, locs: []int64{1}},
		{name: "union of keys in first-seen order", input: "{\"a\": 1, \"b\": \"x\"}\n{\"c\": 2, \"a\": 3}\n{\"b\": \"y\"}\n",
			cols:    []string{"a", "b", "c"},
			records: [][]any{{json.Number("1"), "x"}, {json.Number("3"), nil, json.Number("2")}, {nil, "y", nil}}, locs: []int64{1, 2, 3}},
		{name: "nested values are compact JSON in key order", input: "{\"o\": {\"z\": [1, {\"b\": null, \"a\": \"x y\"}], \"a\": {}}, \"l\": [ ]}\n",
			cols:    []string{"o", "l"},
			records: [][]any{{record.JSON(`{"z":[1,{"b":null,"a":"x y"}],"a":{}}`), record.JSON(`[]`)}}, locs: []int64{1}},
		{name: "escapes", input: `{"k\u00e9y": "a\"b\\c\nd\u20ac", "plain": "é"}`, cols: []string{"kéy", "plain"},
			records: [][]any{{"a\"b\\c\nd€", "é"}}, locs: []int64{1}},
		{name: "escaped and plain spellings of a key are one column", input: "{\"ab\": 1}\n{\"a\\u0062\": 2}\n", cols: []string{"ab"},
			records: [][]any{{json.Number("1")}, {json.Number("2")}}, locs: []int64{1, 2}},
		{name: "invalid UTF-8 in strings is replaced", input: "{\"a\": \"x\xffy\"}", cols: []string{"a"}, records: [][]any{{"x\ufffdy"}}, locs: []int64{1}},
		{name: "duplicate key keeps the last value", input: `{"a": 1, "a": 2}`, cols: []string{"a"}, records: [][]any{{json.Number("2")}}, locs: []int64{1}},
		{name: "empty key", input: `{"x": 1, "": 2}`, cols: []string{"x", "column_2"}, records: [][]any{{json.Number("1"), json.Number("2")}}, locs: []int64{1}},
		{name: "blank lines, CRLF and BOM", input: "\xef\xbb\xbf{\"a\": 1}\r\n\r\n  \t\n{\"a\": 2}", cols: []string{"a"},
			records: [][]any{{json.Number("1")}, {json.Number("2")}}, locs: []int64{1, 4}},
		{name: "lines that are not one object are rejects", input: "{\"a\": 1}\nnot json\n[1]\n{\"a\": 2} {\"a\": 3}\n\"s\"\n{\"a\": \n{\"a\": 4}\n\v\n",
			cols: []string{"a"}, records: [][]any{{json.Number("1")}, {json.Number("4")}}, locs: []int64{1, 7},
			rejects: []string{
				"record 2: expected a JSON object",
				"record 3: expected a JSON object",
				"record 4: invalid JSON: invalid character '{' after top-level value",
				"record 5: expected a JSON object",
				"record 6: invalid JSON: unexpected end of JSON input",
				"record 8: expected a JSON object",
			}},
		{name: "line over the limit", input: "{\"a\": \"" + strings.Repeat("x", 100) + "\"}\n{\"a\": 1}\n", opts: Options{MaxRecordBytes: 50},
			cols: []string{"a"}, records: [][]any{{json.Number("1")}}, locs: []int64{2}, rejects: []string{"record 1: line is longer than 50 bytes"}},
		{name: "latin-1", input: "{\"caf\xe9\": \"cr\xe8me\"}\n", opts: Options{Encoding: "latin-1"}, cols: []string{"café"},
			records: [][]any{{"crème"}}, locs: []int64{1}},
		{name: "empty", input: "", cols: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Format = "jsonl"
			got := decodeAll(t, tt.input, tt.opts)
			if !reflect.DeepEqual(got.cols, tt.cols) {
				t.Errorf("columns %q, want %q", got.cols, tt.cols)
			}
			if !reflect.DeepEqual(got.records, tt.records) {
				t.Errorf("records %#v, want %#v", got.records, tt.records)
			}
			if !reflect.DeepEqual(got.locs, tt.locs) {
				t.Errorf("lines %v, want %v", got.locs, tt.locs)
			}
			if !reflect.DeepEqual(got.reasons(), tt.rejects) {
				t.Errorf("rejects %q, want %q", got.reasons(), tt.rejects)
			}
		})
	}
}

func TestJSONArray(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		input   string
		opts    Options
		cols    []string
		records [][]any
		locs    []int64
		rejects []string
		err     string // a fatal error, after the records
	}{
		{name: "array", input: "\xef\xbb\xbf [{\"id\": 1, \"x\": \"a\"}, {\"y\": [true], \"id\": 2}]\n", cols: []string{"id", "x", "y"},
			records: [][]any{{json.Number("1"), "a"}, {json.Number("2"), nil, record.JSON("[true]")}}, locs: []int64{1, 2}},
		{name: "elements that are not objects are rejects", input: `[{"a": 1}, 42, "s", [{"a": 2}], null, {"a": 3}]`, cols: []string{"a"},
			records: [][]any{{json.Number("1")}, {json.Number("3")}}, locs: []int64{1, 6},
			rejects: []string{"record 2: expected a JSON object", "record 3: expected a JSON object",
				"record 4: expected a JSON object", "record 5: expected a JSON object"}},
		{name: "single object", input: `{"id": 7, "o": {"k": [1, 2]}}`, cols: []string{"id", "o"},
			records: [][]any{{json.Number("7"), record.JSON(`{"k":[1,2]}`)}}, locs: []int64{1}},
		{name: "concatenated objects", input: "{\"a\": 1}\n{\"b\": 2}\n", cols: []string{"a", "b"},
			records: [][]any{{json.Number("1")}, {nil, json.Number("2")}}, locs: []int64{1, 2}},
		{name: "empty array", input: " [ ] ", cols: nil},
		{name: "empty file", input: " \n", cols: nil},
		{name: "element over the limit", input: `[{"a": "0123456789"}, {"a": 1}]`, opts: Options{MaxRecordBytes: 12}, cols: []string{"a"},
			records: [][]any{{json.Number("1")}}, locs: []int64{2}, rejects: []string{"record 1: element is longer than 12 bytes"}},
		{name: "truncated array", input: `[{"id": 1}, {"id": `, cols: []string{"id"}, records: [][]any{{json.Number("1")}}, locs: []int64{1},
			err: "invalid JSON in element 2: unexpected EOF at byte 19"},
		{name: "missing closing bracket", input: `[{"id": 1}`, cols: []string{"id"}, records: [][]any{{json.Number("1")}}, locs: []int64{1},
			err: "invalid JSON after element 1: unexpected EOF at byte 10"},
		{name: "syntax error in an element", input: "[{\"id\": 1},\n {\"id\" 2}]", cols: []string{"id"}, records: [][]any{{json.Number("1")}}, locs: []int64{1},
			err: "invalid JSON in element 2 at byte 18: invalid character '2' after object key"},
		{name: "missing comma", input: `[{"id": 1} {"id": 2}]`, cols: []string{"id"}, records: [][]any{{json.Number("1")}}, locs: []int64{1},
			err: "invalid JSON in element 2 at byte 11: expected comma after array element"},
		{name: "data after the array", input: `[{"id": 1}] [{"id": 2}]`, cols: []string{"id"}, records: [][]any{{json.Number("1")}}, locs: []int64{1},
			err: "invalid JSON after element 1 at byte 13: unexpected [ after the end of the array"},
		{name: "bracket after objects", input: `{"id": 1}]`, cols: []string{"id"}, records: [][]any{{json.Number("1")}}, locs: []int64{1},
			err: "invalid JSON after element 1 at byte 9: invalid character ']' looking for beginning of value"},
		{name: "not an array", input: ` "text"`, err: `expected a JSON array of objects, found '"' at byte 1; for one object per line use format jsonl`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Format = "json"
			got, err := tryDecodeAll(t, tt.input, tt.opts)
			if errText(err) != tt.err {
				t.Errorf("error %v, want %q", err, tt.err)
			}
			if !reflect.DeepEqual(got.cols, tt.cols) && err == nil {
				t.Errorf("columns %q, want %q", got.cols, tt.cols)
			}
			if !reflect.DeepEqual(got.records, tt.records) {
				t.Errorf("records %#v, want %#v", got.records, tt.records)
			}
			if !reflect.DeepEqual(got.locs, tt.locs) {
				t.Errorf("locations %v, want %v", got.locs, tt.locs)
			}
			if !reflect.DeepEqual(got.reasons(), tt.rejects) {
				t.Errorf("rejects %q, want %q", got.reasons(), tt.rejects)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestJSONOffset checks that Offset reaches the input's size.
func TestJSONOffset(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ format, input string }{
		{"json", "\xef\xbb\xbf[{\"a\": 1}, {\"a\": 2}]"},
		{"json", "{\"a\": 1}\n{\"a\": 2}"},
		{"jsonl", "{\"a\": 1}\n\n{\"a\": 2}\n"},
	} {
		dec, err := Open(strings.NewReader(tt.input), Options{Format: tt.format})
		if err != nil {
			t.Fatal(err)
		}
		var rec Record
		for dec.Next(&rec) == nil {
		}
		if got := dec.Offset(); got != int64(len(tt.input)) {
			t.Errorf("%s %q: Offset() = %d, want %d", tt.format, tt.input, got, len(tt.input))
		}
	}
}
