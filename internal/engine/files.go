package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/format"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
	"github.com/sluice-data/sluice/internal/transform"
)

// todoFile is a source object the run will load, and why.
type todoFile struct {
	source.Object
	reason string
}

// selectFiles compares the listed objects with the ledger: new and changed files
// are loaded; a file whose modification time changed but whose bytes did not is
// skipped (and its ledger entry refreshed). In replace mode any change reloads
// every file, since the table must hold exactly the current files.
func (r *run) selectFiles(ctx context.Context, objs []source.Object) ([]todoFile, error) {
	ledger, err := r.tx.Ledger(ctx, r.p.Name)
	if err != nil {
		return nil, err
	}
	var todo []todoFile
	for _, obj := range objs {
		old, seen := ledger[obj.URL]
		switch {
		case r.opts.FullRefresh:
			todo = append(todo, todoFile{obj, "full refresh"})
		case !seen:
			todo = append(todo, todoFile{obj, "new"})
		case old.ETag != obj.ETag || old.Size != obj.Size:
			todo = append(todo, todoFile{obj, "changed"})
		case !old.ModTime.Equal(obj.ModTime):
			sum, err := r.checksum(ctx, obj)
			if err != nil {
				return nil, err
			}
			if sum != old.Checksum {
				todo = append(todo, todoFile{obj, "changed"})
				continue
			}
			old.ModTime = obj.ModTime // touched, not changed
			r.files = append(r.files, old)
		}
	}
	if len(todo) > 0 && r.p.Target.Mode == string(sink.Replace) && len(todo) < len(objs) {
		loading := map[string]bool{}
		for _, t := range todo {
			loading[t.URL] = true
		}
		for _, obj := range objs {
			if !loading[obj.URL] {
				todo = append(todo, todoFile{obj, "replace"})
			}
		}
		slices.SortFunc(todo, func(a, b todoFile) int { return strings.Compare(a.Key, b.Key) })
		r.files = nil
	}
	return todo, nil
}

// checksum is the ledger checksum of an object as loadFile computes it: the
// SHA-256 of its bytes, or for Parquet, format.Parquet's checksum of its footer
// and column chunks (the bytes the decoder reads, so that loading a file costs
// no second pass over it).
func (r *run) checksum(ctx context.Context, obj source.Object) (string, error) {
	if formatName, _ := r.formatOf(obj.Key); formatName == "parquet" {
		f, err := r.e.Storage.OpenAt(ctx, obj)
		if err != nil {
			return "", fmt.Errorf("opening %s: %w", obj.URL, err)
		}
		defer f.Close()
		pq, err := format.OpenParquet(f, f.Size())
		if err != nil {
			return "", fmt.Errorf("%s: %w", obj.Key, err)
		}
		defer pq.Close()
		sum, err := pq.Checksum()
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", obj.Key, err)
		}
		return sum, nil
	}
	rc, err := r.e.Storage.Open(ctx, obj)
	if err != nil {
		return "", fmt.Errorf("opening %s: %w", obj.URL, err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", fmt.Errorf("reading %s: %w", obj.URL, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// countingReader counts and hashes the raw bytes of an object as they are read.
type countingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

// decodeOptions maps a spec's source to decoder options for one file.
func decodeOptions(src spec.Source, formatName string) format.Options {
	o := format.Options{Format: formatName, Encoding: src.CSV.Encoding, NullValues: src.CSV.NullValues}
	if d, _ := utf8.DecodeRuneInString(src.CSV.Delimiter); src.CSV.Delimiter != "" {
		o.Delimiter = d
	}
	if src.CSV.QuoteSet && src.CSV.Quote == "" {
		o.NoQuote = true
	} else if q, _ := utf8.DecodeRuneInString(src.CSV.Quote); src.CSV.Quote != "" {
		o.Quote = q
	}
	if e, _ := utf8.DecodeRuneInString(src.CSV.Escape); src.CSV.Escape != "" {
		o.Escape = e
	}
	o.NoHeader = src.CSV.Header != nil && !*src.CSV.Header
	return o
}

// formatOf is the format and compression of a source key: the spec's, else
// from the file name.
func (r *run) formatOf(key string) (formatName, compression string) {
	formatName, compression = format.Detect(key)
	if r.p.Source.Format != "" {
		formatName = r.p.Source.Format
	}
	if r.p.Source.Compression != "" {
		compression = r.p.Source.Compression
	}
	return formatName, compression
}

// fileReader is an open source file: its decoder, and what the ledger and the
// counters need once it is read.
type fileReader struct {
	dec format.Decoder
	// read returns the bytes read from storage so far.
	read func() int64
	// finish reads what the decoder left (so that every byte is hashed) and
	// returns the bytes read and the ledger checksum.
	finish  func() (int64, string, error)
	closers []io.Closer
}

func (f *fileReader) Close() {
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i].Close()
	}
}

// openFile opens an object and its decoder: a stream through decompression for
// text formats, random access for Parquet.
func (r *run) openFile(ctx context.Context, obj source.Object, formatName, compression string) (*fileReader, error) {
	fr := &fileReader{}
	if formatName == "parquet" {
		if compression != "" && compression != "none" {
			return nil, fmt.Errorf("%s: a parquet file cannot be read through %s compression: Parquet compresses its pages itself, so store the file as it was written (*.parquet)", obj.Key, compression)
		}
		f, err := r.e.Storage.OpenAt(ctx, obj)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", obj.URL, err)
		}
		fr.closers = append(fr.closers, f)
		pq, err := format.OpenParquet(f, f.Size())
		if err != nil {
			fr.Close()
			return nil, fmt.Errorf("%s: %w", obj.Key, err)
		}
		fr.closers = append(fr.closers, pq)
		fr.dec, fr.read = pq, pq.Offset
		fr.finish = func() (int64, string, error) {
			sum, err := pq.Checksum()
			return f.Size(), sum, err
		}
		return fr, nil
	}
	rc, err := r.e.Storage.Open(ctx, obj)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", obj.URL, err)
	}
	fr.closers = append(fr.closers, rc)
	counter := &countingReader{r: rc, h: sha256.New()}
	plain, err := format.Decompress(counter, compression)
	if err != nil {
		fr.Close()
		return nil, fmt.Errorf("%s: %w", obj.Key, err)
	}
	fr.closers = append(fr.closers, plain)
	if fr.dec, err = format.Open(plain, decodeOptions(r.p.Source, formatName)); err != nil {
		fr.Close()
		return nil, fmt.Errorf("%s: %w", obj.Key, err)
	}
	fr.read = func() int64 { return counter.n }
	fr.finish = func() (int64, string, error) {
		_, err := io.Copy(io.Discard, counter) // hash every byte
		return counter.n, hex.EncodeToString(counter.h.Sum(nil)), err
	}
	return fr, nil
}

// loadFile streams one object through the decoder and the transform into the
// staging area.
func (r *run) loadFile(ctx context.Context, idx, total int, obj todoFile) error {
	formatName, compression := r.formatOf(obj.Key)
	switch formatName {
	case "csv", "tsv", "jsonl", "json", "parquet":
	case "":
		return fmt.Errorf("%s: cannot tell the format from the file name; set source.format (csv, tsv, jsonl, json, parquet)", obj.Key)
	default:
		return fmt.Errorf("%s: format %s is not supported by this build; use csv, tsv, jsonl, json or parquet", obj.Key, formatName)
	}
	file, err := r.openFile(ctx, obj.Object, formatName, compression)
	if err != nil {
		return err
	}
	defer file.Close()
	dec := file.dec
	r.log.Info("reading file", "file", obj.Key, "size", obj.Size, "reason", obj.reason)
	fr := FileResult{URL: obj.URL, Key: obj.Key, Size: obj.Size, Reason: obj.reason}
	baseBytes := r.res.BytesRead
	var (
		rec    format.Record
		out    []any
		chain  *transform.Chain
		nBound = -1
	)
	for {
		err := dec.Next(&rec)
		if err == io.EOF {
			break
		}
		var re *format.RecordError
		if errors.As(err, &re) {
			fr.Rows++
			fr.Rejected++
			r.res.RowsRead++
			if err := r.reject(ctx, obj.URL, re.Loc, formatName, re.Column, re.Reason, "", re.Raw); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", obj.Key, err)
		}
		fr.Rows++
		r.res.RowsRead++
		if cols := dec.Columns(); len(cols) != nBound {
			if chain, err = r.bind(cols); err != nil {
				return fmt.Errorf("%s: %w", obj.Key, err)
			}
			nBound = len(cols)
		}
		outcome, rej := chain.Apply(rec.Values, &out)
		switch outcome {
		case transform.Kept:
			ok, err := r.schema.add(ctx, out, obj.URL, rec.Loc, formatName)
			if err != nil {
				return err
			}
			if !ok {
				fr.Rejected++
			}
		case transform.Filtered:
			r.res.RowsFiltered++
		default:
			fr.Rejected++
			raw := rawJSON(dec.Columns(), rec.Values)
			if err := r.reject(ctx, obj.URL, rec.Loc, formatName, rej.Column, rej.Reason, rej.Value, raw); err != nil {
				return err
			}
		}
		if fr.Rows%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			r.res.BytesRead = baseBytes + file.read()
			if r.e.Progress != nil && fr.Rows%8192 == 0 {
				r.e.Progress(Progress{Pipeline: r.p.Name, File: obj.Key, FileIndex: idx + 1, Files: total, Rows: r.res.RowsRead, Bytes: r.res.BytesRead})
			}
		}
	}
	n, sum, err := file.finish()
	if err != nil {
		return fmt.Errorf("reading %s: %w", obj.Key, err)
	}
	r.res.BytesRead = baseBytes + n
	r.res.FileList = append(r.res.FileList, fr)
	r.files = append(r.files, catalog.File{
		Pipeline: r.p.Name, URL: obj.URL, ETag: obj.ETag, Size: obj.Size, ModTime: obj.ModTime,
		Checksum: sum, Rows: fr.Rows, RunID: r.res.ID, LoadedAt: r.e.now(),
	})
	if r.e.Progress != nil {
		r.e.Progress(Progress{Pipeline: r.p.Name, File: obj.Key, FileIndex: idx + 1, Files: total, Rows: r.res.RowsRead, Bytes: r.res.BytesRead})
	}
	return nil
}

// bind binds the program to a file's (possibly grown) source columns and maps its
// output columns onto the staged ones.
func (r *run) bind(cols []string) (*transform.Chain, error) {
	chain, err := r.prog.Bind(cols)
	if err != nil {
		return nil, err
	}
	r.schema.bind(chain.Columns())
	return chain, nil
}
