package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/sluice-data/sluice/internal/record"
)

//go:generate go run ./testdata/parquet/gen

var update = flag.Bool("update", false, "rewrite the expected outputs of the Parquet golden files")

// showValue renders a record value with its Go type, so that the expected files
// pin the representation (a decimal is not a json.Number, a date is text).
func showValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return strconv.Quote(x)
	case json.Number:
		return "num:" + string(x)
	case int64:
		return "int:" + strconv.FormatInt(x, 10)
	case float64:
		return "double:" + strconv.FormatFloat(x, 'g', -1, 64)
	case record.Decimal:
		return "dec:" + string(x)
	case bool:
		return strconv.FormatBool(x)
	case record.JSON:
		return "json:" + string(x)
	}
	return fmt.Sprintf("unexpected %T: %v", v, v)
}

// dumpParquet decodes a whole file into the expected-file text: the columns,
// then one line per record (or per rejected record), then the checksum.
func dumpParquet(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := OpenParquet(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer d.Close()
	var out strings.Builder
	fmt.Fprintf(&out, "columns: %s\n", strings.Join(d.Columns(), ", "))
	var rec Record
	rows := int64(0)
	for {
		err := d.Next(&rec)
		if err == io.EOF {
			break
		}
		rows++
		var re *RecordError
		if errors.As(err, &re) {
			if re.Loc != rows {
				t.Errorf("reject loc %d, want %d", re.Loc, rows)
			}
			fmt.Fprintf(&out, "reject %d: %s (raw %q)\n", re.Loc, re.Error(), re.Raw)
			continue
		}
		if err != nil {
			t.Fatalf("%s: record %d: %v", path, rows, err)
		}
		if rec.Loc != rows {
			t.Errorf("loc %d, want %d", rec.Loc, rows)
		}
		fmt.Fprintf(&out, "row %d:\n", rec.Loc)
		for i, v := range rec.Values {
			fmt.Fprintf(&out, "  %s = %s\n", d.Columns()[i], showValue(v))
		}
	}
	if rows != d.NumRows() {
		t.Errorf("decoded %d rows, the footer says %d", rows, d.NumRows())
	}
	if d.Offset() > int64(len(data)) || (rows > 0 && d.Offset() == 0) {
		t.Errorf("offset %d for a file of %d bytes", d.Offset(), len(data))
	}
	sum, err := d.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	// The checksum of a file decoded to the end equals the one computed
	// without decoding (the engine's check of a touched file).
	d2, err := OpenParquet(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if sum2, err := d2.Checksum(); err != nil || sum2 != sum {
		t.Errorf("checksum without decoding = %s, %v; after decoding %s", sum2, err, sum)
	}
	return out.String()
}

func TestParquetGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/parquet/*.parquet")
	if err != nil || len(files) < 5 {
		t.Fatalf("golden files: %v %v", files, err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".parquet")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := dumpParquet(t, path)
			want := strings.TrimSuffix(path, ".parquet") + ".txt"
			if strings.HasPrefix(name, "types_") { // every compression decodes to the same values
				want = "testdata/parquet/types.txt"
			}
			if *update {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(b) {
				t.Errorf("%s decodes differently from %s (run with -update to accept):\n%s", path, want, lineDiff(string(b), got))
			}
		})
	}
}

// lineDiff lists the lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var x, y string
		if i < len(w) {
			x = w[i]
		}
		if i < len(g) {
			y = g[i]
		}
		if x != y {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, x, y)
		}
	}
	return b.String()
}

// countingReaderAt records the reads made through it.
type countingReaderAt struct {
	r     io.ReaderAt
	mu    sync.Mutex
	bytes int64
	calls int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.mu.Lock()
	c.bytes += int64(n)
	c.calls++
	c.mu.Unlock()
	return n, err
}

// manyRowGroups writes a file of groups row groups of rows rows each, with
// values that do not compress away.
func manyRowGroups(t testing.TB, groups, rows int) []byte {
	t.Helper()
	type row struct {
		ID    int64  `parquet:"id"`
		Name  string `parquet:"name"`
		Score int64  `parquet:"score,decimal(2:18)"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf, parquet.Compression(&parquet.Uncompressed))
	batch := make([]row, rows)
	for g := range groups {
		for i := range batch {
			n := int64(g*rows + i)
			batch[i] = row{ID: n, Name: fmt.Sprintf("name %x", n*2654435761), Score: n * 7919}
		}
		if _, err := w.Write(batch); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestParquetStreams checks that the decoder reads row groups lazily: after the
// first record only the footer and the first row group have been read, and each
// later row group is read as the records reach it.
func TestParquetStreams(t *testing.T) {
	t.Parallel()
	const groups, rows = 40, 500
	data := manyRowGroups(t, groups, rows)
	cr := &countingReaderAt{r: bytes.NewReader(data)}
	d, err := OpenParquet(cr, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if cr.calls > 2 {
		t.Errorf("opening made %d reads; want the footer in one or two", cr.calls)
	}
	var rec Record
	if err := d.Next(&rec); err != nil {
		t.Fatal(err)
	}
	if rec.Values[0] != int64(0) || rec.Values[2] != record.Decimal("0.00") {
		t.Errorf("first record %v", rec.Values)
	}
	afterFirst := cr.bytes
	// The footer read fetches the file's last 64 KiB, then come the column
	// chunks of the first row group.
	if afterFirst > parquetTailSize+int64(len(data))/groups*2 || afterFirst > int64(len(data))/4 {
		t.Errorf("after one record %d of %d bytes were read: the decoder does not stream by row group", afterFirst, len(data))
	}
	if d.Offset() != afterFirst {
		t.Errorf("Offset() = %d, read %d", d.Offset(), afterFirst)
	}
	// Halfway through, about half the file has been read.
	for i := 1; i < groups*rows/2; i++ {
		if err := d.Next(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if half := cr.bytes; half > int64(len(data))*6/10 {
		t.Errorf("halfway through the rows %d of %d bytes were read", half, len(data))
	}
	n := groups * rows / 2
	for {
		err := d.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if rec.Loc != int64(n) {
			t.Fatalf("loc %d, want %d", rec.Loc, n)
		}
	}
	if n != groups*rows {
		t.Fatalf("decoded %d rows, want %d", n, groups*rows)
	}
	readBefore := cr.bytes
	if _, err := d.Checksum(); err != nil {
		t.Fatal(err)
	}
	if cr.bytes != readBefore {
		t.Errorf("the checksum after decoding read %d more bytes; the chunks should have been hashed as they were read", cr.bytes-readBefore)
	}
	if readBefore > int64(len(data))+int64(len(data))/10 {
		t.Errorf("decoding read %d bytes of a %d-byte file", readBefore, len(data))
	}
}

// TestParquetChecksum checks that the checksum changes with any data byte.
func TestParquetChecksum(t *testing.T) {
	t.Parallel()
	data := manyRowGroups(t, 2, 50)
	sum := func(b []byte) string {
		d, err := OpenParquet(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := d.Checksum()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := sum(data)
	if again := sum(bytes.Clone(data)); again != base {
		t.Fatalf("checksum not stable: %s, %s", base, again)
	}
	// Flip one byte of a name in the second row group's data.
	i := bytes.LastIndex(data, []byte("name "))
	changed := bytes.Clone(data)
	changed[i+5] ^= 1
	if sum(changed) == base {
		t.Error("changing a data byte kept the checksum")
	}
}

// TestParquetCorrupt checks that damaged files give a clear error, not a panic.
func TestParquetCorrupt(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile("testdata/parquet/types_snappy.parquet")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a parquet file"},
		{"csv", []byte("id,name\n1,a\n2,b\n3,c\n"), "not a parquet file"},
		{"truncated", good[:len(good)/2], "not a parquet file"},
		{"footer length", append(bytes.Clone(good[:len(good)-8]), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'), "corrupt parquet file"},
		{"encrypted", append(bytes.Clone(good[:len(good)-4]), 'P', 'A', 'R', 'E'), "encrypted"},
	}
	var lz4 bytes.Buffer
	w := parquet.NewGenericWriter[struct {
		ID int64 `parquet:"id"`
	}](&lz4, parquet.Compression(&parquet.Lz4Raw))
	if _, err := w.Write(make([]struct {
		ID int64 `parquet:"id"`
	}, 3)); err != nil || w.Close() != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct {
		name string
		data []byte
		want string
	}{"lz4", lz4.Bytes(), "column id uses LZ4_RAW compression, which Sluice does not read"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := OpenParquet(bytes.NewReader(c.data), int64(len(c.data)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	// Damaged pages: every byte of the data area garbled in turn gives an
	// error or different values, never a panic.
	t.Run("garbled pages", func(t *testing.T) {
		for i := 4; i < len(good)/2; i += 97 {
			b := bytes.Clone(good)
			b[i] ^= 0x5a
			decodeParquet(b)
		}
	})
}

// decodeParquet decodes a file to the end or the first error.
func decodeParquet(b []byte) error {
	d, err := OpenParquet(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	defer d.Close()
	var rec Record
	for {
		err := d.Next(&rec)
		if err == io.EOF {
			_, err = d.Checksum()
			return err
		}
		if err != nil && !IsRecordError(err) {
			return err
		}
	}
}
