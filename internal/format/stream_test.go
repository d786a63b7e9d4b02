package format

import (
	"bytes"
	"io"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// generator yields a file of n generated records on the fly, so that a test can
// decode far more data than it keeps in memory.
type generator struct {
	head, tail string                         // written before and after the records
	row        func(dst []byte, i int) []byte // appends record i (from 1)
	n, i       int
	buf        []byte
	started    bool
}

func (g *generator) Read(p []byte) (int, error) {
	if !g.started {
		g.buf, g.started = append(g.buf, g.head...), true
	}
	for len(g.buf) < len(p) && g.i < g.n {
		g.i++
		g.buf = g.row(g.buf, g.i)
		if g.i == g.n {
			g.buf = append(g.buf, g.tail...)
		}
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

// csvRow is a small record with quoted fields, one with a delimiter.
func csvRow(dst []byte, i int) []byte {
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, `,"customer `...)
	dst = strconv.AppendInt(dst, int64(i%977), 10)
	dst = append(dst, `",`...)
	dst = strconv.AppendInt(dst, int64(i%5000), 10)
	dst = append(dst, `.5,"a note, with a comma",`...)
	if i%3 == 0 {
		dst = append(dst, "NL"...)
	}
	return append(dst, '\n')
}

// plainRow is a small record without quotes.
func plainRow(dst []byte, i int) []byte {
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, ",customer "...)
	dst = strconv.AppendInt(dst, int64(i%977), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(i%5000), 10)
	dst = append(dst, ".5,a note without a comma,"...)
	if i%3 == 0 {
		dst = append(dst, "NL"...)
	}
	return append(dst, '\n')
}

func jsonRow(dst []byte, i int) []byte {
	dst = append(dst, `{"id": `...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, `, "name": "customer `...)
	dst = strconv.AppendInt(dst, int64(i%977), 10)
	dst = append(dst, `", "tags": ["a", "b"], "ok": true}`...)
	return dst
}

const csvHead = "id,name,amount,note,country\n"

func jsonlRow(dst []byte, i int) []byte { return append(jsonRow(dst, i), '\n') }

func jsonArrayRow(dst []byte, i int) []byte {
	if i > 1 {
		dst = append(dst, ",\n"...)
	}
	return jsonRow(dst, i)
}

// TestMemoryIsBounded decodes over 50 MB of each format from a generator and
// checks that the heap in use stays small: the decoders stream.
func TestMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 50 MB per format")
	}
	const (
		inputSize = 50 << 20
		heapLimit = 16 << 20
	)
	tests := []struct {
		format string
		gen    *generator
	}{
		{"csv", &generator{head: csvHead, row: csvRow, n: 1_000_000}},
		{"jsonl", &generator{row: jsonlRow, n: 750_000}},
		{"json", &generator{head: "[", tail: "]", row: jsonArrayRow, n: 750_000}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) { // not parallel: the heap is shared
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			base, peak := ms.HeapInuse, uint64(0)
			dec, err := Open(tt.gen, Options{Format: tt.format})
			if err != nil {
				t.Fatal(err)
			}
			var rec Record
			rows := 0
			for {
				err := dec.Next(&rec)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if rows++; rows%100_000 == 0 {
					runtime.GC()
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse-min(base, ms.HeapInuse))
				}
			}
			if rows != tt.gen.n {
				t.Fatalf("decoded %d records of %d", rows, tt.gen.n)
			}
			if dec.Offset() < inputSize {
				t.Fatalf("read only %d bytes", dec.Offset())
			}
			if peak > heapLimit {
				t.Errorf("the heap grew by %d bytes while decoding %d", peak, dec.Offset())
			}
			t.Logf("%d bytes, %d records, heap growth at most %d bytes", dec.Offset(), rows, peak)
		})
	}
}

var (
	benchOnce sync.Once
	benchData map[string][]byte
)

// benchFile returns a generated file of about a million records, built once.
func benchFile(b *testing.B, kind string) []byte {
	b.Helper()
	benchOnce.Do(func() {
		const n = 1 << 20
		benchData = map[string][]byte{}
		for name, g := range map[string]*generator{
			"quoted": {head: csvHead, row: csvRow, n: n},
			"plain":  {head: csvHead, row: plainRow, n: n},
			"jsonl":  {row: jsonlRow, n: n},
			"json":   {head: "[", tail: "]", row: jsonArrayRow, n: n},
		} {
			data, err := io.ReadAll(g)
			if err != nil {
				panic(err)
			}
			benchData[name] = data
		}
	})
	return benchData[kind]
}

// BenchmarkCSV decodes about a million small records per iteration, with and
// without quoted fields.
func BenchmarkCSV(b *testing.B) {
	for _, kind := range []string{"plain", "quoted"} {
		b.Run(kind, func(b *testing.B) { benchmarkDecode(b, benchFile(b, kind), Options{Format: "csv"}) })
	}
}

// BenchmarkJSON decodes about a million small objects per iteration, as JSON
// Lines and as one array.
func BenchmarkJSON(b *testing.B) {
	for _, format := range []string{"jsonl", "json"} {
		b.Run(format, func(b *testing.B) { benchmarkDecode(b, benchFile(b, format), Options{Format: format}) })
	}
}

func benchmarkDecode(b *testing.B, data []byte, opts Options) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rows := 0
	var rec Record
	for b.Loop() {
		dec, err := Open(bytes.NewReader(data), opts)
		if err != nil {
			b.Fatal(err)
		}
		for {
			err := dec.Next(&rec)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
