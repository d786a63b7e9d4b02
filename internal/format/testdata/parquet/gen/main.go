// Command gen writes the small Parquet files that the format package's tests
// decode (testdata/parquet/*.parquet). Run it from internal/format with
// `go generate` (see parquet_test.go) after changing it, then rewrite the
// expected outputs with `go test -run TestParquetGolden -update`.
package main

import (
	"bytes"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
)

func main() {
	dir := "testdata/parquet"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	codecs := map[string]compress.Codec{
		"snappy": &parquet.Snappy, "gzip": &parquet.Gzip, "zstd": &parquet.Zstd, "none": &parquet.Uncompressed,
	}
	for name, codec := range codecs {
		write(dir, "types_"+name, typesSchema(), typesRows(), 2, parquet.Compression(codec))
	}
	write(dir, "nested", nestedSchema(), nestedRows(), 2, parquet.Compression(&parquet.Zstd))
	write(dir, "rejects", rejectsSchema(), rejectsRows(), 1)
	write(dir, "empty", typesSchema(), nil, 1)
	writeInt96(dir)
	golden := filepath.Join(dir, "..", "..", "..", "..", "testdata", "golden", "parquet")
	write(filepath.Join(golden, "data", "orders"), "orders", ordersSchema(), ordersRows(), 3, parquet.Compression(&parquet.Snappy))
	write(filepath.Join(golden, "later"), "orders_update", ordersSchema(), ordersUpdateRows(), 1, parquet.Compression(&parquet.Gzip))
}

// write writes rows in groups row groups of (nearly) equal size.
func write(dir, name string, schema *parquet.Schema, rows []map[string]any, groups int, opts ...parquet.WriterOption) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[map[string]any](&buf, append([]parquet.WriterOption{schema}, opts...)...)
	per := (len(rows) + groups - 1) / groups
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		if _, err := w.Write(rows[start:end]); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		if err := w.Flush(); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, name+".parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d bytes\n", path, buf.Len())
}

// ptr makes a zero value explicit: the writer takes a plain zero for NULL.
func ptr[T any](v T) *T { return &v }

func opt(n parquet.Node) parquet.Node { return parquet.Optional(n) }

func typesSchema() *parquet.Schema {
	return parquet.NewSchema("types", parquet.Group{
		"bool":        opt(parquet.Leaf(parquet.BooleanType)),
		"int8":        opt(parquet.Int(8)),
		"int16":       opt(parquet.Int(16)),
		"int32":       opt(parquet.Int(32)),
		"int64":       opt(parquet.Int(64)),
		"uint8":       opt(parquet.Uint(8)),
		"uint16":      opt(parquet.Uint(16)),
		"uint32":      opt(parquet.Uint(32)),
		"uint64":      opt(parquet.Uint(64)),
		"float":       opt(parquet.Leaf(parquet.FloatType)),
		"double":      opt(parquet.Leaf(parquet.DoubleType)),
		"dec_int32":   opt(parquet.Decimal(2, 9, parquet.Int32Type)),
		"dec_int64":   opt(parquet.Decimal(4, 18, parquet.Int64Type)),
		"dec_fixed":   opt(parquet.Decimal(3, 20, parquet.FixedLenByteArrayType(9))),
		"dec_bytes":   opt(parquet.Decimal(5, 30, parquet.ByteArrayType)),
		"date":        opt(parquet.Date()),
		"ts_ms_utc":   opt(parquet.TimestampAdjusted(parquet.Millisecond, true)),
		"ts_ms_local": opt(parquet.TimestampAdjusted(parquet.Millisecond, false)),
		"ts_us_utc":   opt(parquet.TimestampAdjusted(parquet.Microsecond, true)),
		"ts_us_local": opt(parquet.TimestampAdjusted(parquet.Microsecond, false)),
		"ts_ns_utc":   opt(parquet.TimestampAdjusted(parquet.Nanosecond, true)),
		"ts_ns_local": opt(parquet.TimestampAdjusted(parquet.Nanosecond, false)),
		"time_ms":     opt(parquet.Time(parquet.Millisecond)),
		"time_us":     opt(parquet.Time(parquet.Microsecond)),
		"time_ns":     opt(parquet.Time(parquet.Nanosecond)),
		"string":      opt(parquet.String()),
		"string_dict": opt(parquet.Encoded(parquet.String(), &parquet.RLEDictionary)),
		"enum":        opt(parquet.Enum()),
		"uuid":        opt(parquet.UUID()),
		"json":        opt(parquet.JSON()),
		"binary":      opt(parquet.Leaf(parquet.ByteArrayType)),
		"fixed":       opt(parquet.Leaf(parquet.FixedLenByteArrayType(4))),
		"required_id": parquet.Int(64),
	})
}

// be returns n as big-endian two's complement in size bytes.
func be(n int64, size int) []byte {
	b := make([]byte, size)
	for i := size - 1; i >= 0; i-- {
		b[i] = byte(n)
		n >>= 8
	}
	return b
}

// int96 is the legacy timestamp encoding: nanoseconds of the day, Julian day.
func int96(t time.Time) deprecated.Int96 {
	t = t.UTC()
	day := t.Unix()/86400 + 2440588
	if t.Unix() < 0 && t.Unix()%86400 != 0 {
		day--
	}
	nanos := uint64(t.Sub(t.Truncate(24 * time.Hour)))
	return deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(day)}
}

// legacyRow is a row of int96.parquet: INT96 timestamps, as Spark and Impala
// wrote them, need the struct-based writer.
type legacyRow struct {
	ID int64            `parquet:"id"`
	TS deprecated.Int96 `parquet:"ts"`
}

func writeInt96(dir string) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[legacyRow](&buf)
	rows := []legacyRow{
		{1, int96(time.Date(2024, 3, 1, 12, 34, 56, 123456789, time.UTC))},
		{2, int96(time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC))},
	}
	if _, err := w.Write(rows); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, "int96.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d bytes\n", path, buf.Len())
}

func typesRows() []map[string]any {
	ts := time.Date(2024, 3, 1, 12, 34, 56, 123456789, time.UTC)
	old := time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC)
	return []map[string]any{
		{
			"required_id": int64(1), "bool": true, "int8": int32(-128), "int16": int32(32767), "int32": int32(math.MinInt32), "int64": int64(math.MaxInt64),
			"uint8": int32(255), "uint16": int32(65535), "uint32": int32(-1), "uint64": int64(-1),
			"float": float32(0.1), "double": 1.5, "dec_int32": int32(-1230), "dec_int64": int64(123456789012345678),
			"dec_fixed": be(-5, 9), "dec_bytes": be(1234567890123456789, 9),
			"date": int32(19783), "ts_ms_utc": ts.UnixMilli(), "ts_ms_local": ts.UnixMilli(), "ts_us_utc": ts.UnixMicro(),
			"ts_us_local": ts.UnixMicro(), "ts_ns_utc": ts.UnixNano(), "ts_ns_local": ts.UnixNano(),
			"time_ms": int32(45296123), "time_us": int64(45296123456), "time_ns": int64(45296123456789),
			"string": "héllo \"wörld\"\n", "string_dict": "red", "enum": "SMALL",
			"uuid": []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef},
			"json": `{"a": [1, 2.50, "x"], "b": null}`, "binary": []byte{0, 1, 2, 0xfe, 0xff}, "fixed": []byte("abcd"),
		},
		{
			"required_id": int64(2), "bool": ptr(false), "int8": int32(127), "int16": int32(-32768), "int32": int32(math.MaxInt32), "int64": int64(math.MinInt64),
			"uint8": ptr(int32(0)), "uint16": ptr(int32(0)), "uint32": int32(7), "uint64": int64(42),
			"float": float32(3), "double": -2.5e-10, "dec_int32": int32(5), "dec_int64": int64(-1),
			"dec_fixed": be(123456789012345678, 9), "dec_bytes": be(-7, 1),
			"date": int32(-1), "ts_ms_utc": old.UnixMilli(), "ts_ms_local": old.UnixMilli(), "ts_us_utc": old.UnixMicro(),
			"ts_us_local": old.UnixMicro(), "ts_ns_utc": old.UnixNano(), "ts_ns_local": old.UnixNano(),
			"time_ms": ptr(int32(0)), "time_us": int64(86399999999), "time_ns": int64(1),
			"string": ptr(""), "string_dict": "red", "enum": "LARGE",
			"uuid": make([]byte, 16), "json": `[]`, "binary": []byte{}, "fixed": []byte{0, 0, 0, 0},
		},
		{
			"required_id": int64(3), "double": 1e21, "float": float32(1e-7), "string_dict": "blue",
		},
		{
			"required_id": int64(4), "double": 100.0, "dec_int32": int32(0), "dec_bytes": be(0, 1), "string": "日本語",
		},
	}
}

func nestedSchema() *parquet.Schema {
	return parquet.NewSchema("nested", parquet.Group{
		"a_id":      parquet.Int(32),
		"tags":      opt(parquet.List(opt(parquet.String()))),
		"matrix":    opt(parquet.List(parquet.List(parquet.Int(32)))),
		"attrs":     opt(parquet.Map(parquet.String(), opt(parquet.Int(64)))),
		"by_number": opt(parquet.Map(parquet.Int(32), parquet.String())),
		"point":     opt(parquet.Group{"x": parquet.Leaf(parquet.DoubleType), "y": opt(parquet.Leaf(parquet.DoubleType))}),
		"items": opt(parquet.List(parquet.Group{
			"sku":   parquet.String(),
			"qty":   parquet.Int(32),
			"price": opt(parquet.Decimal(2, 9, parquet.Int32Type)),
			"at":    opt(parquet.TimestampAdjusted(parquet.Millisecond, true)),
		})),
		"numbers": parquet.Repeated(parquet.Int(32)),
	})
}

func nestedRows() []map[string]any {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli()
	return []map[string]any{
		{
			"a_id": int32(1), "tags": []any{"a", nil, "b"}, "matrix": []any{[]any{int32(1), int32(2)}, []any{}, []any{int32(3)}},
			"attrs": map[string]any{"k": int64(1), "z": nil}, "by_number": map[int32]any{1: "one", 2: "two"},
			"point": map[string]any{"x": 1.5, "y": -2.0},
			"items": []any{
				map[string]any{"sku": "A-1", "qty": int32(2), "price": int32(1999), "at": at},
				map[string]any{"sku": "B\"2", "qty": int32(1)},
			},
			"numbers": []any{int32(1), int32(2), int32(3)},
		},
		{"a_id": int32(2), "tags": []any{}, "matrix": []any{}, "attrs": map[string]any{}, "point": map[string]any{"x": 0.0}, "items": []any{}},
		{"a_id": int32(3)},
	}
}

func rejectsSchema() *parquet.Schema {
	return parquet.NewSchema("rejects", parquet.Group{
		"id":     parquet.Int(32),
		"double": opt(parquet.Leaf(parquet.DoubleType)),
		"text":   opt(parquet.String()),
		"doc":    opt(parquet.JSON()),
		"list":   opt(parquet.List(parquet.Leaf(parquet.FloatType))),
	})
}

func rejectsRows() []map[string]any {
	return []map[string]any{
		{"id": int32(1), "double": 1.25, "text": "ok", "doc": `{"ok":true}`, "list": []any{float32(1)}},
		{"id": int32(2), "double": math.NaN()},
		{"id": int32(3), "double": math.Inf(-1)},
		{"id": int32(4), "text": string([]byte{0xff, 'a'})},
		{"id": int32(5), "doc": `{"broken":`},
		{"id": int32(6), "list": []any{float32(2), float32(math.Inf(1))}},
		{"id": int32(7), "double": 2.0},
	}
}

// ordersSchema is the end-to-end golden case's input (testdata/golden/parquet).
func ordersSchema() *parquet.Schema {
	return parquet.NewSchema("orders", parquet.Group{
		"order_id":   parquet.Int(64),
		"customer":   opt(parquet.String()),
		"amount":     opt(parquet.Decimal(2, 12, parquet.Int64Type)),
		"quantity":   opt(parquet.Int(32)),
		"rate":       opt(parquet.Leaf(parquet.DoubleType)),
		"paid":       opt(parquet.Leaf(parquet.BooleanType)),
		"ordered_at": opt(parquet.TimestampAdjusted(parquet.Microsecond, true)),
		"ship_date":  opt(parquet.Date()),
		"status":     opt(parquet.Enum()),
		"lines":      opt(parquet.List(parquet.Group{"sku": parquet.String(), "qty": parquet.Int(32)})),
	})
}

func ordersRows() []map[string]any {
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	day := int32(t0.Unix() / 86400)
	statuses := []string{"new", "paid", "shipped"}
	var rows []map[string]any
	for i := range 9 {
		r := map[string]any{
			"order_id":   int64(100 + i),
			"customer":   fmt.Sprintf("customer %d", i%4),
			"amount":     int64(1000*i + 99),
			"quantity":   int32(i + 1),
			"rate":       ptr(0.25 * float64(i)),
			"paid":       ptr(i%2 == 0),
			"ordered_at": t0.Add(time.Duration(i) * 90 * time.Minute).UnixMicro(),
			"ship_date":  day + int32(i%3),
			"status":     statuses[i%3],
			"lines":      []any{map[string]any{"sku": fmt.Sprintf("S%d", i), "qty": int32(i%2 + 1)}},
		}
		if i == 4 {
			delete(r, "customer")
			delete(r, "rate")
			delete(r, "lines")
		}
		rows = append(rows, r)
	}
	// A correction of order 101, later in the file: the merge keeps it.
	rows = append(rows, map[string]any{
		"order_id": int64(101), "customer": "customer 1 (fixed)", "amount": int64(-150), "quantity": int32(3),
		"rate": 1e-7, "paid": true, "ordered_at": t0.UnixMicro(), "ship_date": day, "status": "paid",
	})
	return rows
}

// ordersUpdateRows arrive later: a change to order 103, a new order, and a row
// whose rate is NaN (rejected, record 2).
func ordersUpdateRows() []map[string]any {
	t0 := time.Date(2024, 5, 2, 9, 30, 0, 0, time.UTC)
	day := int32(t0.Unix() / 86400)
	return []map[string]any{
		{"order_id": int64(103), "customer": "customer 3", "amount": int64(310050), "quantity": int32(40), "rate": 0.5,
			"paid": true, "ordered_at": t0.UnixMicro(), "ship_date": day, "status": "shipped"},
		{"order_id": int64(120), "customer": "customer 9", "amount": int64(1), "rate": math.NaN(), "ordered_at": t0.UnixMicro()},
		{"order_id": int64(121), "customer": "customer 9", "amount": int64(12345678901), "quantity": int32(1), "rate": 2.0,
			"paid": ptr(false), "ordered_at": t0.Add(time.Minute).UnixMicro(), "ship_date": day + 1, "status": "new",
			"lines": []any{map[string]any{"sku": "S1", "qty": int32(3)}, map[string]any{"sku": "S2", "qty": int32(1)}}},
	}
}
