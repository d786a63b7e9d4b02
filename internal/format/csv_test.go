package format

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// decoded is what decoding a whole input gives.
type decoded struct {
	cols    []string
	records [][]any
	locs    []int64
	rejects []RecordError
}

// decodeAll decodes input to its end. It fails the test on an error that is not
// a RecordError, and checks the invariants every decoder keeps.
func decodeAll(t testing.TB, input string, opts Options) decoded {
	t.Helper()
	got, err := tryDecodeAll(t, input, opts)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func tryDecodeAll(t testing.TB, input string, opts Options) (decoded, error) {
	t.Helper()
	dec, err := Open(strings.NewReader(input), opts)
	if err != nil {
		return decoded{}, err
	}
	var got decoded
	var rec Record
	for {
		err := dec.Next(&rec)
		if err == io.EOF {
			break
		}
		var re *RecordError
		if errors.As(err, &re) {
			got.rejects = append(got.rejects, *re)
			continue
		}
		if err != nil {
			return got, err
		}
		if len(rec.Values) > len(dec.Columns()) {
			t.Fatalf("record on %d has %d values for %d columns", rec.Loc, len(rec.Values), len(dec.Columns()))
		}
		got.records = append(got.records, append([]any(nil), rec.Values...))
		got.locs = append(got.locs, rec.Loc)
	}
	if err := dec.Next(&rec); err != io.EOF {
		t.Fatalf("Next after io.EOF: %v", err)
	}
	got.cols = dec.Columns()
	return got, nil
}

// reasons lists the rejects as "loc: reason" or "loc, column: reason".
func (d decoded) reasons() []string {
	var out []string
	for _, re := range d.rejects {
		out = append(out, re.Error())
	}
	return out
}

func TestCSV(t *testing.T) {
	t.Parallel()
	ab := []string{"a", "b"}
	tests := []struct {
		name    string
		input   string
		opts    Options
		cols    []string
		records [][]any
		locs    []int64
		rejects []string
	}{
		{name: "simple", input: "a,b\n1,2\n3,4\n", cols: ab, records: [][]any{{"1", "2"}, {"3", "4"}}, locs: []int64{2, 3}},
		{name: "no trailing newline", input: "a,b\n1,2", cols: ab, records: [][]any{{"1", "2"}}, locs: []int64{2}},
		{name: "CRLF", input: "a,b\r\n1,2\r\n\"3\",\"4\"\r\n", cols: ab, records: [][]any{{"1", "2"}, {"3", "4"}}, locs: []int64{2, 3}},
		{name: "CR at the end of the file", input: "a,b\r\n1,2\r", cols: ab, records: [][]any{{"1", "2"}}, locs: []int64{2}},
		{name: "BOM", input: "\xef\xbb\xbfa,b\n1,2\n", cols: ab, records: [][]any{{"1", "2"}}, locs: []int64{2}},
		{name: "BOM only", input: "\xef\xbb\xbf", cols: nil},
		{name: "quoted delimiter and doubled quotes", input: "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", cols: ab,
			records: [][]any{{"x,y", `say "hi"`}}, locs: []int64{2}},
		{name: "quoted line breaks keep line numbers", input: "a,b\n\"one\ntwo\",1\n\"three\r\nfour\",2\n5,\"\n\n\"\n7,8\n", cols: ab,
			records: [][]any{{"one\ntwo", "1"}, {"three\r\nfour", "2"}, {"5", "\n\n"}, {"7", "8"}}, locs: []int64{2, 4, 6, 9}},
		{name: "quoted CR before the line break", input: "a,b\n\"x\r\",\"y\"\r\n", cols: ab, records: [][]any{{"x\r", "y"}}, locs: []int64{2}},
		{name: "quoted header", input: "\"a,1\",\"b\"\"\"\n1,2\n", cols: []string{"a,1", `b"`}, records: [][]any{{"1", "2"}}, locs: []int64{2}},
		{name: "default nulls: empty and quoted empty", input: "a,b,c\n,\"\",NULL\n", cols: []string{"a", "b", "c"},
			records: [][]any{{nil, nil, "NULL"}}, locs: []int64{2}},
		{name: "null values", input: "a,b,c\n,\"NULL\",n/a\n", opts: Options{NullValues: []string{"NULL", "n/a"}}, cols: []string{"a", "b", "c"},
			records: [][]any{{"", nil, nil}}, locs: []int64{2}},
		{name: "no null values", input: "a,b\n,\"\"\n", opts: Options{NullValues: []string{}}, cols: ab, records: [][]any{{"", ""}}, locs: []int64{2}},
		{name: "ragged rows are rejects and later rows keep their lines", input: "a,b\n1,2,3\n4\n\"x\ny\",5,6\n7,8\n", cols: ab,
			records: [][]any{{"7", "8"}}, locs: []int64{6},
			rejects: []string{"record 2: expected 2 fields, found 3", "record 3: expected 2 fields, found 1", "record 4: expected 2 fields, found 3"}},
		{name: "blank lines are skipped", input: "a\n1\n\n\r\n2\n\n", cols: []string{"a"}, records: [][]any{{"1"}, {"2"}}, locs: []int64{2, 5}},
		{name: "no header", input: "1,2\n3,4\n", opts: Options{NoHeader: true}, cols: []string{"column_1", "column_2"},
			records: [][]any{{"1", "2"}, {"3", "4"}}, locs: []int64{1, 2}},
		{name: "no header, ragged", input: "\n1,2\n3\n4,5\n", opts: Options{NoHeader: true}, cols: []string{"column_1", "column_2"},
			records: [][]any{{"1", "2"}, {"4", "5"}}, locs: []int64{2, 4}, rejects: []string{"record 3: expected 2 fields, found 1"}},
		{name: "no header, first record rejected", input: "1,\xff\n3,4\n5\n", opts: Options{NoHeader: true}, cols: []string{"column_1", "column_2"},
			records: [][]any{{"3", "4"}}, locs: []int64{2},
			rejects: []string{`record 1, column "column_2": ` + invalidUTF8, "record 3: expected 2 fields, found 1"}},
		{name: "semicolon", input: "a;b\n\"x;y\";2,5\n", opts: Options{Delimiter: ';'}, cols: ab, records: [][]any{{"x;y", "2,5"}}, locs: []int64{2}},
		{name: "single quote", input: "a,b\n'x,y','it''s'\n\"q\",'\n'\n", opts: Options{Quote: '\''}, cols: ab,
			records: [][]any{{"x,y", "it's"}, {`"q"`, "\n"}}, locs: []int64{2, 3}},
		{name: "escape", input: "a,b\n\"x\\\"y\",\"back\\\\slash \"\"too\"\"\"\n\\\"u,\"a\\\nb\"\n", opts: Options{Escape: '\\'}, cols: ab,
			records: [][]any{{`x"y`, `back\slash "too"`}, {`\"u`, "a\nb"}}, locs: []int64{2, 3}},
		{name: "escape equal to the quote is RFC 4180", input: "a\n\"x\"\"y\"\n", opts: Options{Escape: '"'}, cols: []string{"a"},
			records: [][]any{{`x"y`}}, locs: []int64{2}},
		{name: "multi-byte delimiter", input: "a§b\n\"x§y\"§é\n", opts: Options{Delimiter: '§'}, cols: ab, records: [][]any{{"x§y", "é"}}, locs: []int64{2}},
		{name: "no quoting", input: "a,b\n\"x,y\n", opts: Options{NoQuote: true}, cols: ab, records: [][]any{{`"x`, `y`}}, locs: []int64{2}},
		{name: "tsv", input: "a\tb\nx, y\t\"q\"\n", opts: Options{Format: "tsv"}, cols: ab, records: [][]any{{"x, y", "q"}}, locs: []int64{2}},
		{name: "bare quote inside an unquoted field is text", input: "a,b\n5\"2,x \"y\" z\n", cols: ab,
			records: [][]any{{`5"2`, `x "y" z`}}, locs: []int64{2}},
		{name: "text after a closing quote is kept", input: "a,b\n\"x\"y\"z,\"w\" \n", cols: ab, records: [][]any{{`xy"z`, "w "}}, locs: []int64{2}},
		{name: "empty and duplicate header names", input: "a,,a,\n1,2,3,4\n", cols: []string{"a", "column_2", "a", "column_4"},
			records: [][]any{{"1", "2", "3", "4"}}, locs: []int64{2}},
		{name: "header names as written", input: " Order ID ,Total\n1,2\n", cols: []string{" Order ID ", "Total"}, records: [][]any{{"1", "2"}}, locs: []int64{2}},
		{name: "empty file", input: "", cols: nil},
		{name: "empty file without header", input: "", opts: Options{NoHeader: true}, cols: nil},
		{name: "blank lines only", input: "\n\r\n\n", cols: nil},
		{name: "header only", input: "a,b\n", cols: ab},
		{name: "unterminated quote", input: "a,b\n1,2\n3,\"open\n4,5\n", cols: ab, records: [][]any{{"1", "2"}}, locs: []int64{2},
			rejects: []string{"record 3: unterminated quoted field: the quote opened on line 3 is still open at the end of the file (line 4)"}},
		{name: "unterminated quote on the last line", input: "a,b\n1,\"", cols: ab,
			rejects: []string{"record 2: unterminated quoted field: the quote opened on line 2 is still open at the end of the file (line 2)"}},
		{name: "escape at the end of the file", input: "a\n\"x\\", opts: Options{Escape: '\\'}, cols: []string{"a"},
			rejects: []string{"record 2: unterminated quoted field: the quote opened on line 2 is still open at the end of the file (line 2)"}},
		{name: "invalid UTF-8", input: "a,b\nok,\xff\xfe\n\"\xc3\",x\n1,2\n", cols: ab, records: [][]any{{"1", "2"}}, locs: []int64{4},
			rejects: []string{`record 2, column "b": ` + invalidUTF8, `record 3, column "a": ` + invalidUTF8}},
		{name: "latin-1", input: "name,city\nRen\xe9,M\xfcnchen\n", opts: Options{Encoding: "latin-1"}, cols: []string{"name", "city"},
			records: [][]any{{"René", "München"}}, locs: []int64{2}},
		{name: "iso-8859-1 header and quotes", input: "\"caf\xe9\"\n\"\xe0,\xe8\"\n", opts: Options{Encoding: "ISO-8859-1"}, cols: []string{"café"},
			records: [][]any{{"à,è"}}, locs: []int64{2}},
		{name: "windows-1252", input: "p\n\x80 5\n\x93q\x94\n", opts: Options{Encoding: "windows-1252"}, cols: []string{"p"},
			records: [][]any{{"€ 5"}, {"\u201cq\u201d"}}, locs: []int64{2, 3}},
		{name: "cp1252 delimiter", input: "a\xa7b\n1\xa72\n", opts: Options{Encoding: "cp1252", Delimiter: '§'}, cols: ab,
			records: [][]any{{"1", "2"}}, locs: []int64{2}},
		{name: "latin-1 has no invalid bytes", input: "a\n\xff\n", opts: Options{Encoding: "latin1"}, cols: []string{"a"},
			records: [][]any{{"ÿ"}}, locs: []int64{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.opts.Format == "" {
				tt.opts.Format = "csv"
			}
			got := decodeAll(t, tt.input, tt.opts)
			if !reflect.DeepEqual(got.cols, tt.cols) {
				t.Errorf("columns %q, want %q", got.cols, tt.cols)
			}
			if !reflect.DeepEqual(got.records, tt.records) {
				t.Errorf("records %q, want %q", got.records, tt.records)
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

// TestCSVRejectRaw checks the raw text that a reject carries.
func TestCSVRejectRaw(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		opts  Options
		raw   []string
	}{
		{name: "one line", input: "a,b\n1,2,3\r\n", raw: []string{"1,2,3"}},
		{name: "several lines", input: "a,b\n\"x\r\ny\",2,3\n4,5\n", raw: []string{"\"x\r\ny\",2,3"}},
		{name: "unterminated", input: "a,b\n1,\"x\n2,3\n", raw: []string{"1,\"x\n2,3"}},
		{name: "latin-1 is converted", input: "a\n\xe9,\xe8\n", opts: Options{Encoding: "latin-1"}, raw: []string{"é,è"}},
		{name: "cut at 64 KiB", input: "a\n\"" + strings.Repeat("x", 70000) + "\n,\n", raw: []string{"\"" + strings.Repeat("x", maxRawBytes-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var raw []string
			for _, re := range decodeAll(t, tt.input, tt.opts).rejects {
				raw = append(raw, re.Raw)
			}
			if !reflect.DeepEqual(raw, tt.raw) {
				t.Errorf("raw %.80q, want %.80q", raw, tt.raw)
			}
		})
	}
}

// TestCSVLongRecords checks records longer than the read buffer and than
// MaxRecordBytes: the first are read whole, the second are rejects after which
// decoding goes on.
func TestCSVLongRecords(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 3*readBufferSize)
	tests := []struct {
		name    string
		input   string
		max     int
		records [][]any
		locs    []int64
		rejects []string
	}{
		{name: "long unquoted line", input: "a,b\n" + long + ",1\n2,3\n", records: [][]any{{long, "1"}, {"2", "3"}}, locs: []int64{2, 3}},
		{name: "long quoted field", input: "a,b\n1,\"" + long + "\n" + long + "\"\n2,3", records: [][]any{{"1", long + "\n" + long}, {"2", "3"}}, locs: []int64{2, 4}},
		{name: "line over the limit", input: "a,b\n1,2\n" + long + ",1\n3,4\n", max: readBufferSize,
			records: [][]any{{"1", "2"}, {"3", "4"}}, locs: []int64{2, 4},
			rejects: []string{"record 3: record is longer than 65536 bytes; decoding resumes on line 4"}},
		{name: "short line over a small limit", input: "a,b\n123456,7\n1,2\n", max: 8,
			records: [][]any{{"1", "2"}}, locs: []int64{3},
			rejects: []string{"record 2: record is longer than 8 bytes; decoding resumes on line 3"}},
		{name: "quoted lines over the limit", input: "a,b\n1,\"x\ny\nz\"\n2,3\n", max: 6,
			records: [][]any{{"2", "3"}}, locs: []int64{5},
			rejects: []string{"record 2: record is longer than 6 bytes (an unclosed quote?); decoding resumes on line 4", "record 4: expected 2 fields, found 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := decodeAll(t, tt.input, Options{MaxRecordBytes: tt.max})
			if !reflect.DeepEqual(got.records, tt.records) {
				t.Errorf("records %.100q, want %.100q", got.records, tt.records)
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

func TestCSVOpenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		opts  Options
		want  string
	}{
		{name: "delimiter is the quote", opts: Options{Delimiter: '"'}, want: "csv: the quote '\"' is also the delimiter"},
		{name: "line break delimiter", opts: Options{Delimiter: '\n'}, want: "csv: the delimiter cannot be a line break"},
		{name: "line break quote", opts: Options{Quote: '\r'}, want: "csv: the quote cannot be a line break"},
		{name: "delimiter outside latin-1", opts: Options{Delimiter: '€', Encoding: "latin-1"}, want: "csv: the delimiter '€' cannot be written in the file's encoding"},
		{name: "invalid rune", opts: Options{Escape: -1}, want: "csv: the escape '�' cannot be written in the file's encoding"},
		{name: "unknown encoding", opts: Options{Encoding: "utf-16"}, want: `unknown encoding "utf-16": use utf-8, latin-1 or windows-1252`},
		{name: "unknown format", opts: Options{Format: "xml"}, want: `unknown format "xml": use csv, tsv, jsonl or json`},
		{name: "header not UTF-8", input: "caf\xe9\n", want: "csv header on line 1: " + invalidUTF8},
		{name: "header quote not closed", input: "\n\"a,b\n1,2\n", want: "csv header on line 2: unterminated quoted field: the quote opened on line 2 is still open at the end of the file (line 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Open(strings.NewReader(tt.input), tt.opts)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Open: %v, want %s", err, tt.want)
			}
		})
	}
}

// failingReader returns its data, then an error.
type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestReadErrors checks that a read error ends the file, whatever the format.
func TestReadErrors(t *testing.T) {
	t.Parallel()
	broken := errors.New("connection reset")
	for _, tt := range []struct{ format, data string }{
		{"csv", "a,b\n1,2\n3,"}, {"csv", "a,b\n1,2\n\"3\n"}, {"jsonl", "{\"a\":1}\n{\"a\""}, {"json", `[{"a":1},{"a"`},
	} {
		t.Run(tt.format, func(t *testing.T) {
			t.Parallel()
			dec, err := Open(&failingReader{data: tt.data, err: broken}, Options{Format: tt.format})
			if err != nil {
				t.Fatal(err)
			}
			var rec Record
			if err := dec.Next(&rec); err != nil {
				t.Fatalf("first record: %v", err)
			}
			if err := dec.Next(&rec); !errors.Is(err, broken) || IsRecordError(err) {
				t.Fatalf("second record: %v, want the read error", err)
			}
			if err := dec.Next(&rec); err != io.EOF {
				t.Fatalf("after the error: %v, want io.EOF", err)
			}
		})
	}
}

// TestCSVValuesOutliveNext checks that Next reuses rec.Values but never changes
// values handed out before.
func TestCSVValuesOutliveNext(t *testing.T) {
	t.Parallel()
	dec, err := Open(strings.NewReader("a,b\n1,\"x\"\n2,y\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := dec.Next(&rec); err != nil {
		t.Fatal(err)
	}
	first, values := rec.Values[1], &rec.Values[0]
	if err := dec.Next(&rec); err != nil {
		t.Fatal(err)
	}
	if first != "x" || &rec.Values[0] != values || rec.Values[1] != "y" {
		t.Errorf("first %q, second %q; storage reused: %v", first, rec.Values, &rec.Values[0] == values)
	}
}

// TestCSVOffset checks that Offset counts every input byte by the end.
func TestCSVOffset(t *testing.T) {
	t.Parallel()
	for _, input := range []string{"", "\xef\xbb\xbfa\n1\n", "a,b\n\"x\ny\",2", "a\n" + strings.Repeat("1\n", 100000)} {
		dec, err := Open(strings.NewReader(input), Options{Encoding: "latin-1"})
		if err != nil {
			t.Fatal(err)
		}
		var rec Record
		for dec.Next(&rec) != io.EOF {
		}
		if got := dec.Offset(); got != int64(len(input)) {
			t.Errorf("Offset() = %d after %d bytes", got, len(input))
		}
	}
}

// TestCSVAllocations checks that a record costs one string, plus one interface
// value for each non-empty field, and nothing per field beyond that.
func TestCSVAllocations(t *testing.T) {
	for _, tt := range []struct {
		name, row string
		want      float64
	}{
		{name: "plain", row: "123,some text,4.5,\n", want: 1 + 3},
		{name: "quoted", row: "123,\"some, text\",\"say \"\"hi\"\"\",\"\"\n", want: 1 + 3},
		{name: "latin-1", row: "123,caf\xe9,4.5,\n", want: 1 + 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			input := "a,b,c,d\n" + strings.Repeat(tt.row, 1000)
			opts := Options{}
			if tt.name == "latin-1" {
				opts.Encoding = "latin-1"
			}
			dec, err := Open(strings.NewReader(input), opts)
			if err != nil {
				t.Fatal(err)
			}
			var rec Record
			dec.Next(&rec) // warm up: buffers reach their size
			allocs := testing.AllocsPerRun(500, func() {
				if err := dec.Next(&rec); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > tt.want {
				t.Errorf("%v allocations per record, want at most %v", allocs, tt.want)
			}
		})
	}
}
