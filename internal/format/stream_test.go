package format

import (
	"fmt"
	"io"
	"runtime"
	"testing"
)

// rowSource generates a CSV file of n rows on the fly, so the test input is never
// in memory.
type rowSource struct {
	n, i int
	buf  []byte
}

func (s *rowSource) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.i <= s.n {
		if s.i == 0 {
			s.buf = append(s.buf, "id,name,amount,note\n"...)
		} else {
			s.buf = fmt.Appendf(s.buf, "%d,\"customer %d\",%d.%02d,\"a note, with a comma\"\n", s.i, s.i%977, s.i%5000, s.i%100)
		}
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// TestCSVMemoryIsBounded decodes about 60 MB of CSV and checks that the live heap
// stays small: the decoder streams.
func TestCSVMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 60 MB")
	}
	dec, err := Open(&rowSource{n: 1_000_000}, Options{Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	var peak uint64
	var ms runtime.MemStats
	rows := 0
	for {
		err := dec.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
		if rows%200_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if rows != 1_000_000 {
		t.Fatalf("decoded %d rows", rows)
	}
	if dec.Offset() < 50<<20 {
		t.Fatalf("read only %d bytes", dec.Offset())
	}
	if peak > 16<<20 {
		t.Errorf("heap in use reached %d bytes while streaming %d bytes", peak, dec.Offset())
	}
}

func BenchmarkCSV(b *testing.B) {
	const n = 200_000
	b.ReportAllocs()
	for b.Loop() {
		dec, err := Open(&rowSource{n: n}, Options{Format: "csv"})
		if err != nil {
			b.Fatal(err)
		}
		var rec Record
		for {
			if err := dec.Next(&rec); err != nil {
				if err == io.EOF {
					break
				}
				b.Fatal(err)
			}
		}
		b.SetBytes(dec.Offset())
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
