package format

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/sluice-data/sluice/internal/record"
)

// result is what decoding a whole input gives: columns, records and rejects.
type result struct {
	cols    []string
	records [][]any
	locs    []int64
	rejects []string // "loc: reason"
}

func decodeAll(t testing.TB, input string, opts Options) (result, error) {
	t.Helper()
	dec, err := Open(strings.NewReader(input), opts)
	if err != nil {
		return result{}, err
	}
	var res result
	var rec Record
	for {
		err := dec.Next(&rec)
		if err == io.EOF {
			break
		}
		var re *RecordError
		if errors.As(err, &re) {
			res.rejects = append(res.rejects, re.Error())
			continue
		}
		if err != nil {
			return res, err
		}
		res.records = append(res.records, append([]any(nil), rec.Values...))
		res.locs = append(res.locs, rec.Loc)
	}
	res.cols = dec.Columns()
	return res, nil
}

func TestCSV(t *testing.T) {
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
		{name: "simple", input: "a,b\n1,2\n3,4\n", cols: []string{"a", "b"},
			records: [][]any{{"1", "2"}, {"3", "4"}}, locs: []int64{2, 3}},
		{name: "no trailing newline", input: "a,b\n1,2", cols: []string{"a", "b"}, records: [][]any{{"1", "2"}}, locs: []int64{2}},
		{name: "CRLF and BOM", input: "\xef\xbb\xbfa,b\r\n1,2\r\n", cols: []string{"a", "b"}, records: [][]any{{"1", "2"}}, locs: []int64{2}},
		{name: "quoted delimiter, escaped quote", input: "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", cols: []string{"a", "b"},
			records: [][]any{{"x,y", `say "hi"`}}, locs: []int64{2}},
		{name: "embedded newlines keep line numbers", input: "a,b\n\"one\ntwo\",1\n\"three\r\nfour\",2\n5,6\n", cols: []string{"a", "b"},
			records: [][]any{{"one\ntwo", "1"}, {"three\r\nfour", "2"}, {"5", "6"}}, locs: []int64{2, 4, 6}},
		{name: "nulls", input: "a,b,c\n,\"\",NULL\n", opts: Options{NullValues: []string{"", "NULL"}}, cols: []string{"a", "b", "c"},
			records: [][]any{{nil, nil, nil}}, locs: []int64{2}},
		{name: "default null is empty only", input: "a,b\n,NULL\n", cols: []string{"a", "b"}, records: [][]any{{nil, "NULL"}}, locs: []int64{2}},
		{name: "ragged rows are rejects, later rows are intact", input: "a,b\n1,2,3\n4\n5,6\n", cols: []string{"a", "b"},
			records: [][]any{{"5", "6"}}, locs: []int64{4},
			rejects: []string{"record 2: expected 2 fields, found 3", "record 3: expected 2 fields, found 1"}},
		{name: "blank lines skipped", input: "a\n1\n\n2\n", cols: []string{"a"}, records: [][]any{{"1"}, {"2"}}, locs: []int64{2, 4}},
		{name: "no header", input: "1,2\n3,4\n", opts: Options{NoHeader: true}, cols: []string{"column_1", "column_2"},
			records: [][]any{{"1", "2"}, {"3", "4"}}, locs: []int64{1, 2}},
		{name: "semicolon and single quote", input: "a;b\n'x;y';'it''s'\n", opts: Options{Delimiter: ';', Quote: '\''}, cols: []string{"a", "b"},
			records: [][]any{{"x;y", "it's"}}, locs: []int64{2}},
		{name: "escape character", input: "a,b\n\"x\\\"y\",\"back\\\\slash\"\n", opts: Options{Escape: '\\'}, cols: []string{"a", "b"},
			records: [][]any{{`x"y`, `back\slash`}}, locs: []int64{2}},
		{name: "no quoting", input: "a,b\n\"x,y\n", opts: Options{NoQuote: true}, cols: []string{"a", "b"},
			records: [][]any{{`"x`, `y`}}, locs: []int64{2}},
		{name: "tsv", input: "a\tb\nx y\t\"q\"\n", opts: Options{Format: "tsv"}, cols: []string{"a", "b"},
			records: [][]any{{"x y", "q"}}, locs: []int64{2}},
		{name: "bare quote in unquoted field is literal", input: "a,b\n5\"2,x\n", cols: []string{"a", "b"},
			records: [][]any{{`5"2`, "x"}}, locs: []int64{2}},
		{name: "text after closing quote is kept", input: "a,b\n\"x\"y,z\n", cols: []string{"a", "b"},
			records: [][]any{{"xy", "z"}}, locs: []int64{2}},
		{name: "empty header names", input: "a,,c\n1,2,3\n", cols: []string{"a", "column_2", "c"}, records: [][]any{{"1", "2", "3"}}, locs: []int64{2}},
		{name: "empty file", input: "", cols: nil},
		{name: "header only", input: "a,b\n", cols: []string{"a", "b"}},
		{name: "unterminated quote", input: "a,b\n1,\"open\n2,3\n", cols: []string{"a", "b"},
			rejects: []string{"record 2: unterminated quoted field at end of file"}},
		{name: "invalid utf-8", input: "a,b\nok,\xff\xfe\n1,2\n", cols: []string{"a", "b"}, records: [][]any{{"1", "2"}}, locs: []int64{3},
			rejects: []string{`record 2, column "b": invalid UTF-8; set source.csv.encoding (latin-1, windows-1252) if the file is not UTF-8`}},
		{name: "latin-1", input: "name\nM\xfcnchen\n", opts: Options{Encoding: "latin-1"}, cols: []string{"name"}, records: [][]any{{"München"}}, locs: []int64{2}},
		{name: "windows-1252", input: "p\n\x80 5\n", opts: Options{Encoding: "windows-1252"}, cols: []string{"p"}, records: [][]any{{"€ 5"}}, locs: []int64{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.opts.Format == "" {
				tt.opts.Format = "csv"
			}
			res, err := decodeAll(t, tt.input, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.cols, tt.cols) {
				t.Errorf("columns %q, want %q", res.cols, tt.cols)
			}
			if !reflect.DeepEqual(res.records, tt.records) {
				t.Errorf("records %q, want %q", res.records, tt.records)
			}
			if !reflect.DeepEqual(res.locs, tt.locs) {
				t.Errorf("lines %v, want %v", res.locs, tt.locs)
			}
			if !reflect.DeepEqual(res.rejects, tt.rejects) {
				t.Errorf("rejects %q, want %q", res.rejects, tt.rejects)
			}
		})
	}
}

func TestCSVRejectRaw(t *testing.T) {
	t.Parallel()
	dec, err := Open(strings.NewReader("a,b\n1,2,3\r\n"), Options{Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	var re *RecordError
	if err := dec.Next(&rec); !errors.As(err, &re) || re.Raw != "1,2,3" || re.Loc != 2 {
		t.Fatalf("got %v (%+v)", err, re)
	}
}

func TestJSONL(t *testing.T) {
	t.Parallel()
	input := "{\"a\": 1, \"b\": \"x\"}\n\n{\"b\": null, \"c\": {\"n\": [1, 2]}, \"d\": true}\nnot json\n[1]\n{\"a\": 1.5e3}"
	res, err := decodeAll(t, input, Options{Format: "jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []string{"a", "b", "c", "d"}
	if !reflect.DeepEqual(res.cols, wantCols) {
		t.Errorf("columns %q", res.cols)
	}
	if len(res.records) != 3 {
		t.Fatalf("records %v", res.records)
	}
	if got := res.records[0]; len(got) != 2 || got[0] != json.Number("1") || got[1] != "x" {
		t.Errorf("record 1: %#v", got)
	}
	if got := res.records[1]; got[0] != nil || got[1] != nil || string(got[2].(record.JSON)) != `{"n":[1,2]}` || got[3] != true {
		t.Errorf("record 2: %#v", got)
	}
	if got := res.records[2]; got[0] != json.Number("1.5e3") {
		t.Errorf("record 3: %#v", got)
	}
	if !reflect.DeepEqual(res.locs, []int64{1, 3, 6}) {
		t.Errorf("lines %v", res.locs)
	}
	if len(res.rejects) != 2 || !strings.HasPrefix(res.rejects[0], "record 4:") || !strings.HasPrefix(res.rejects[1], "record 5:") {
		t.Errorf("rejects %q", res.rejects)
	}
}

func TestJSONArray(t *testing.T) {
	t.Parallel()
	res, err := decodeAll(t, `[{"id": 1, "x": "a"}, 42, {"id": 2, "y": [true]}]`, Options{Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.cols, []string{"id", "x", "y"}) || len(res.records) != 2 || !reflect.DeepEqual(res.locs, []int64{1, 3}) {
		t.Errorf("got %+v", res)
	}
	if len(res.rejects) != 1 || res.rejects[0] != "record 2: expected a JSON object" {
		t.Errorf("rejects %q", res.rejects)
	}
	res, err = decodeAll(t, `{"id": 7}`, Options{Format: "json"})
	if err != nil || len(res.records) != 1 {
		t.Errorf("single object: %+v %v", res, err)
	}
	res, err = decodeAll(t, ``, Options{Format: "json"})
	if err != nil || len(res.records) != 0 {
		t.Errorf("empty: %+v %v", res, err)
	}
	if _, err := decodeAll(t, `[{"id": 1}, {"id": `, Options{Format: "json"}); err == nil || !strings.Contains(err.Error(), "record 2") {
		t.Errorf("truncated array: %v", err)
	}
	if _, err := decodeAll(t, `"text"`, Options{Format: "json"}); err == nil {
		t.Error("a top-level string: no error")
	}
}

func TestDetectAndDecompress(t *testing.T) {
	t.Parallel()
	for name, want := range map[string][2]string{
		"a.csv": {"csv", ""}, "x/b.CSV.GZ": {"csv", "gzip"}, "c.jsonl.zst": {"jsonl", "zstd"},
		"d.ndjson": {"jsonl", ""}, "e.json": {"json", ""}, "f.tsv.gzip": {"tsv", "gzip"}, "g.txt": {"", ""},
	} {
		f, c := Detect(name)
		if f != want[0] || c != want[1] {
			t.Errorf("Detect(%q) = %q, %q; want %q", name, f, c, want)
		}
	}
	payload := []byte("a,b\n1,2\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(payload[:4])
	zw.Close()
	zw = gzip.NewWriter(&gz) // a second gzip member
	zw.Write(payload[4:])
	zw.Close()
	var zs bytes.Buffer
	enc, _ := zstd.NewWriter(&zs)
	enc.Write(payload)
	enc.Close()
	for name, in := range map[string][]byte{"gzip": gz.Bytes(), "zstd": zs.Bytes(), "none": payload} {
		r, err := Decompress(bytes.NewReader(in), name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("%s: %q %v", name, got, err)
		}
	}
	if _, err := Decompress(bytes.NewReader(nil), "lz4"); err == nil {
		t.Error("unknown compression: no error")
	}
}
