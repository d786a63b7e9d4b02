package format

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

// parquetTailSize is how much of a Parquet file's end the first read fetches: the
// footer of most files fits, so opening costs one ranged read.
const parquetTailSize = 64 << 10

// parquetMaxFooter bounds the footer a file may claim, so a damaged length
// cannot make the decoder allocate gigabytes.
const parquetMaxFooter = 256 << 20

// parquetFile is the random-access view the Parquet library reads through. It
// serves the footer from memory (read once, in one or two reads), counts the
// bytes read from the underlying file, and hashes the column chunks of the row
// group being decoded as their bytes go by, for the file's checksum.
type parquetFile struct {
	r    io.ReaderAt
	size int64

	tailOff int64  // tail holds the file's bytes [tailOff, size)
	tail    []byte //
	footer  int64  // offset of the footer (thrift metadata, then length and magic)

	mu     sync.Mutex
	read   int64 // bytes read from r
	reads  int64 // ReadAt calls on r
	chunks []chunkHash
	sum    hash.Hash // the file checksum: footer, then each column chunk's digest
}

// chunkHash hashes one column chunk, [pos, end) being the part not hashed yet.
// The library reads a chunk front to back (a dictionary page may be read twice),
// so the bytes it reads arrive at pos in order; whatever it skipped is read at
// the end (finishChunks).
type chunkHash struct {
	pos, end int64
	h        hash.Hash
}

func newParquetFile(r io.ReaderAt, size int64) (*parquetFile, error) {
	if size < 12 { // header magic, footer length, footer magic
		return nil, errors.New("not a parquet file: too short")
	}
	f := &parquetFile{r: r, size: size, tailOff: max(0, size-parquetTailSize)}
	f.tail = make([]byte, size-f.tailOff)
	if err := f.readRaw(f.tail, f.tailOff); err != nil {
		return nil, fmt.Errorf("reading the parquet footer: %w", err)
	}
	trailer := f.tail[len(f.tail)-8:]
	if string(trailer[4:]) != "PAR1" {
		if string(trailer[4:]) == "PARE" {
			return nil, errors.New("the parquet file is encrypted, which is not supported")
		}
		return nil, errors.New("not a parquet file: it does not end with the PAR1 magic (truncated or another format)")
	}
	n := int64(binary.LittleEndian.Uint32(trailer[:4]))
	if n > size-12 || n > parquetMaxFooter {
		return nil, fmt.Errorf("corrupt parquet file: a footer of %d bytes does not fit in a file of %d bytes", n, size)
	}
	f.footer = size - 8 - n
	if f.footer < f.tailOff { // a large footer: fetch the rest in one more read
		head := make([]byte, f.tailOff-f.footer)
		if err := f.readRaw(head, f.footer); err != nil {
			return nil, fmt.Errorf("reading the parquet footer: %w", err)
		}
		f.tail = append(head, f.tail...)
		f.tailOff = f.footer
	}
	f.sum = sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(size))
	f.sum.Write([]byte("sluice parquet checksum v1\n"))
	f.sum.Write(b[:])
	f.sum.Write(f.tail[f.footer-f.tailOff:])
	return f, nil
}

func (f *parquetFile) readRaw(p []byte, off int64) error {
	n, err := f.r.ReadAt(p, off)
	f.mu.Lock()
	f.read += int64(n)
	f.reads++
	f.mu.Unlock()
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// ReadAt implements io.ReaderAt for the library.
func (f *parquetFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("parquet: negative offset")
	}
	if off >= f.tailOff {
		if off >= f.size {
			return 0, io.EOF
		}
		n := copy(p, f.tail[off-f.tailOff:])
		f.hashRead(p[:n], off)
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	n, err := f.r.ReadAt(p, off)
	f.mu.Lock()
	f.read += int64(n)
	f.reads++
	f.mu.Unlock()
	f.hashRead(p[:n], off)
	return n, err
}

// hashRead feeds the chunks whose next unhashed byte falls in p.
func (f *parquetFile) hashRead(p []byte, off int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	end := off + int64(len(p))
	for i := range f.chunks {
		c := &f.chunks[i]
		if c.pos >= off && c.pos < end && c.pos < c.end {
			stop := min(end, c.end)
			c.h.Write(p[c.pos-off : stop-off])
			c.pos = stop
		}
	}
}

// startChunks begins hashing the column chunks of a row group, given as
// [start, end) ranges in column order.
func (f *parquetFile) startChunks(ranges [][2]int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chunks = f.chunks[:0]
	for _, r := range ranges {
		f.chunks = append(f.chunks, chunkHash{pos: r[0], end: r[1], h: sha256.New()})
	}
}

// finishChunks reads what the decoder skipped of the current chunks and adds
// their digests to the file checksum, in column order.
func (f *parquetFile) finishChunks() error {
	var buf []byte
	for i := range f.chunks {
		c := &f.chunks[i]
		for c.pos < c.end {
			if buf == nil {
				buf = make([]byte, 1<<20)
			}
			p := buf[:min(int64(len(buf)), c.end-c.pos)]
			if n, err := f.ReadAt(p, c.pos); n < len(p) {
				if err == nil || err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return fmt.Errorf("reading a column chunk: %w", err)
			}
		}
		f.sum.Write(c.h.Sum(nil))
	}
	f.chunks = f.chunks[:0]
	return nil
}

// checksum is the file checksum, once every row group's chunks are finished.
func (f *parquetFile) checksum() string { return hex.EncodeToString(f.sum.Sum(nil)) }

// bytesRead returns the bytes read from the underlying file so far.
func (f *parquetFile) bytesRead() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.read
}
