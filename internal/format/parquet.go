package format

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"

	"github.com/parquet-go/parquet-go"
	pqformat "github.com/parquet-go/parquet-go/format"

	"github.com/sluice-data/sluice/internal/record"
)

// parquetReadBudget is the memory the column readers' buffers share: each column
// chunk of the row group being read has a buffer of budget/columns bytes (a power
// of two between 64 KiB and 1 MiB), so a file with few columns is read in few
// large ranged reads and a wide file stays within bounds.
const parquetReadBudget = 8 << 20

// parquetBatchRows is how many rows are read from a row group at a time.
const parquetBatchRows = 128

// Parquet decodes a Parquet file one row group at a time: only the footer and the
// pages of the row group being read are in memory. Each top-level field is a
// column, and values keep their exact meaning in the form inference reads:
//
//	BOOLEAN                         bool
//	INT32, INT64, INT(8…64, signed) json.Number ("-12")
//	INT(…, unsigned)                json.Number; record.Decimal above 2⁶³−1
//	FLOAT, DOUBLE, FLOAT16          json.Number, shortest round-trip text with a
//	                                point or exponent ("3.0", "0.1", "1e-7");
//	                                NaN and ±Inf reject the record
//	DECIMAL(p,s), any physical type record.Decimal with s digits ("-12.30")
//	DATE                            "2006-01-02"
//	TIMESTAMP, adjusted to UTC      "2006-01-02T15:04:05.999999999Z" (timestamptz)
//	TIMESTAMP, local                "2006-01-02T15:04:05.999999999" (timestamp)
//	INT96 (legacy timestamps)       as a local TIMESTAMP, nanoseconds
//	TIME                            "15:04:05.999999999" (text)
//	STRING, ENUM                    string (not UTF-8: the record is rejected)
//	UUID                            "01234567-89ab-cdef-0123-456789abcdef"
//	JSON                            record.JSON (invalid JSON: rejected)
//	BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY base64 text (standard, padded); also BSON,
//	without a logical type          geometry and intervals
//	lists, maps, groups, repeated   record.JSON: arrays, objects (map keys as
//	                                text), nested values as above in JSON form
//	NULL, or a null optional value  nil
//
// Parquet is not safe for concurrent use.
type Parquet struct {
	pf     *parquetFile
	file   *parquet.File
	fields []*pqNode
	names  []string
	groups []parquet.RowGroup

	rg      int           // next row group to open
	rows    parquet.Rows  // rows of row group rg-1, nil between row groups
	inGroup int64         // rows read from it
	buf     []parquet.Row // a batch of rows, buf[next:n] not decoded yet
	next, n int
	loc     int64

	vals [][]parquet.Value // the current row's values, by leaf column
	pos  []int             // the next unread value of each leaf column
	json []byte            // scratch for nested values

	finished bool   // every row group's chunks are hashed
	sum      string // the checksum, once finished
}

// OpenParquet opens a Parquet file of the given size for decoding. It reads the
// footer (usually in one read at the end of the file) and no row data yet. The
// caller closes the decoder (Close) and, separately, r.
func OpenParquet(r io.ReaderAt, size int64) (d *Parquet, err error) {
	defer recoverParquet(&err)
	pf, err := newParquetFile(r, size)
	if err != nil {
		return nil, err
	}
	opts := []parquet.FileOption{parquet.SkipMagicBytes(true), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true)}
	f, err := parquet.OpenFile(pf, size, opts...)
	if err != nil {
		return nil, fmt.Errorf("corrupt parquet file: %w", err)
	}
	// The read buffers depend on the number of columns, known only now: open
	// again (from the footer in memory) with the right size.
	leaves := max(1, len(f.Schema().Columns()))
	bufSize := 1 << (bits.Len(uint(parquetReadBudget/leaves)) - 1)
	bufSize = min(max(bufSize, 64<<10), 1<<20)
	if f, err = parquet.OpenFile(pf, size, append(opts, parquet.ReadBufferSize(bufSize))...); err != nil {
		return nil, fmt.Errorf("corrupt parquet file: %w", err)
	}
	d = &Parquet{pf: pf, file: f, groups: f.RowGroups(), vals: make([][]parquet.Value, leaves), pos: make([]int, leaves)}
	for _, c := range f.Root().Columns() {
		n, err := buildNode(c, 0, 0)
		if err != nil {
			return nil, err
		}
		d.fields = append(d.fields, n)
		d.names = append(d.names, n.name)
	}
	md := f.Metadata()
	if len(md.RowGroups) != len(d.groups) {
		return nil, errors.New("corrupt parquet file: row group count mismatch")
	}
	for i, rg := range md.RowGroups {
		if len(rg.Columns) != leaves {
			return nil, fmt.Errorf("corrupt parquet file: row group %d has %d column chunks for %d columns", i, len(rg.Columns), leaves)
		}
		if _, err := d.chunkRanges(i); err != nil {
			return nil, err
		}
		for _, c := range rg.Columns {
			switch codec := c.MetaData.Codec; codec {
			case pqformat.Uncompressed, pqformat.Snappy, pqformat.Gzip, pqformat.Zstd, pqformat.Brotli:
			default:
				// The library's LZ4_RAW decoder grows its buffer without bound
				// on a damaged page, and it reads neither LZ4 nor LZO.
				return nil, fmt.Errorf("column %s uses %s compression, which Sluice does not read: write the file with snappy, gzip or zstd", strings.Join(c.MetaData.PathInSchema, "."), codec)
			}
		}
	}
	return d, nil
}

// recoverParquet turns a panic of the Parquet library on a malformed file into
// an error.
func recoverParquet(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("corrupt parquet file: %v", r)
	}
}

// chunkRanges returns the byte ranges of a row group's column chunks.
func (d *Parquet) chunkRanges(i int) ([][2]int64, error) {
	rg := d.file.Metadata().RowGroups[i]
	out := make([][2]int64, len(rg.Columns))
	for j, c := range rg.Columns {
		start := c.MetaData.DataPageOffset
		if c.MetaData.DictionaryPageOffset != 0 {
			start = c.MetaData.DictionaryPageOffset
		}
		end := start + c.MetaData.TotalCompressedSize
		if start < 0 || c.MetaData.TotalCompressedSize < 0 || end > d.pf.footer || end < start {
			return nil, fmt.Errorf("corrupt parquet file: column chunk %d of row group %d lies outside the file", j, i)
		}
		out[j] = [2]int64{start, end}
	}
	return out, nil
}

// Columns returns the top-level field names of the file's schema.
func (d *Parquet) Columns() []string { return d.names }

// Offset returns the bytes read from the file so far.
func (d *Parquet) Offset() int64 { return d.pf.bytesRead() }

// NumRows returns the number of rows the footer declares.
func (d *Parquet) NumRows() int64 { return d.file.NumRows() }

// Next decodes the next row. Record.Loc is the 1-based row number in the file. A
// value that has no record form (NaN, text that is not UTF-8, a JSON column
// holding something else) gives a *RecordError.
func (d *Parquet) Next(rec *Record) (err error) {
	defer recoverParquet(&err)
	for d.next == d.n {
		if err := d.fill(); err != nil {
			return err
		}
	}
	row := d.buf[d.next]
	d.next++
	d.loc++
	return d.decode(row, rec)
}

// fill reads the next batch of rows, moving to the next row group as needed. It
// returns io.EOF after the last row group.
func (d *Parquet) fill() error {
	if d.rows == nil {
		if d.rg == len(d.groups) {
			if err := d.finish(); err != nil {
				return err
			}
			return io.EOF
		}
		ranges, err := d.chunkRanges(d.rg)
		if err != nil {
			return err
		}
		d.pf.startChunks(ranges)
		d.rows = d.groups[d.rg].Rows()
		d.rg++
		d.inGroup = 0
		if d.buf == nil {
			d.buf = make([]parquet.Row, parquetBatchRows)
		}
	}
	n, err := d.rows.ReadRows(d.buf)
	d.next, d.n = 0, n
	d.inGroup += int64(n)
	if n > 0 {
		return nil
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("reading row group %d: %w", d.rg-1, err)
	}
	return d.endGroup()
}

// endGroup closes the current row group after checking that it held the rows
// the footer declares, and finishes its chunks' checksums.
func (d *Parquet) endGroup() error {
	want := d.groups[d.rg-1].NumRows()
	err := d.rows.Close()
	d.rows = nil
	if err != nil {
		return fmt.Errorf("reading row group %d: %w", d.rg-1, err)
	}
	if d.inGroup != want {
		return fmt.Errorf("corrupt parquet file: row group %d declares %d rows but holds %d", d.rg-1, want, d.inGroup)
	}
	return d.pf.finishChunks()
}

// finish hashes the column chunks of the row groups not read yet.
func (d *Parquet) finish() error {
	if d.finished {
		return nil
	}
	if d.rows != nil {
		if err := d.rows.Close(); err != nil {
			return err
		}
		d.rows = nil
		if err := d.pf.finishChunks(); err != nil {
			return err
		}
	}
	for ; d.rg < len(d.groups); d.rg++ {
		ranges, err := d.chunkRanges(d.rg)
		if err != nil {
			return err
		}
		d.pf.startChunks(ranges)
		if err := d.pf.finishChunks(); err != nil {
			return err
		}
	}
	d.finished, d.sum = true, d.pf.checksum()
	d.next, d.n = 0, 0
	return nil
}

// Checksum returns a SHA-256 checksum (hex) of the bytes that make the file's
// data: its size, its footer, and each column chunk in file order. Two files with
// the same checksum decode to the same rows. After the decoder has returned
// io.EOF it costs nothing, the chunks having been hashed as they were read;
// before, it reads the chunks not read yet, and Next returns io.EOF afterwards.
// Bytes outside the column chunks and the footer (page indexes, bloom filters)
// are not covered: they do not change what is decoded.
func (d *Parquet) Checksum() (sum string, err error) {
	defer recoverParquet(&err)
	if err := d.finish(); err != nil {
		return "", err
	}
	return d.sum, nil
}

// Close releases the row group being read. It does not close the underlying
// file.
func (d *Parquet) Close() error {
	if d.rows != nil {
		err := d.rows.Close()
		d.rows = nil
		return err
	}
	return nil
}

// decode converts one row into rec.
func (d *Parquet) decode(row parquet.Row, rec *Record) error {
	for i := range d.vals {
		d.vals[i], d.pos[i] = nil, 0
	}
	var bad bool
	row.Range(func(ci int, vs []parquet.Value) bool {
		if ci < 0 || ci >= len(d.vals) {
			bad = true
			return false
		}
		d.vals[ci] = vs
		return true
	})
	if bad {
		return errCorrupt
	}
	rec.Loc = d.loc
	rec.Values = rec.Values[:0]
	for _, n := range d.fields {
		v, err := d.top(n)
		if err != nil {
			var ev *errValue
			if errors.As(err, &ev) {
				return &RecordError{Loc: d.loc, Column: n.name, Reason: ev.reason, Raw: ev.raw}
			}
			return fmt.Errorf("row %d, column %q: %w", d.loc, n.name, err)
		}
		rec.Values = append(rec.Values, v)
	}
	return nil
}

// top returns a top-level field's value: a scalar for a primitive field, JSON
// for groups, lists, maps and repeated fields.
func (d *Parquet) top(n *pqNode) (any, error) {
	if n.kind == nodeLeaf && !n.repeated {
		v, ok := d.take(n.first)
		if !ok {
			return nil, errCorrupt
		}
		if v.IsNull() || v.DefinitionLevel() < n.def {
			return nil, nil
		}
		return n.leaf.scalar(v)
	}
	b, err := d.appendField(d.json[:0], n)
	d.json = b
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return nil, nil
	}
	return record.JSON(append([]byte(nil), b...)), nil
}
