package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// incompleteSuffix marks a blob being downloaded, as in huggingface_hub:
// blobs/<etag>.incomplete, renamed to blobs/<etag> once checked.
const incompleteSuffix = ".incomplete"

// copyBufferSize is the read size of a transfer.
const copyBufferSize = 256 << 10

// errStalled ends a transfer that received nothing for StallTimeout.
var errStalled = errors.New("the connection stalled")

// errRestart says the partial file must be dropped and the download started
// from byte 0 (the server answered a Range with something else).
var errRestart = errors.New("cannot resume: starting the file again")

// blobJob is one file of a pull to bring into the cache.
type blobJob struct {
	repo, revision, path string
	meta                 fileMeta
	blob                 string // <repo dir>/blobs/<etag>
	lock                 string // <cache>/.locks/<repo folder>/<etag>.lock
}

// fetchBlob makes sure j.blob holds the file: it keeps a blob that is there
// and matches its ETag, and downloads it otherwise (resuming a partial
// download), under the blob's lock.
func (c *Client) fetchBlob(ctx context.Context, j blobJob, tr *tracker) error {
	present, problem, err := checkBlob(j.repo, j.path, j.blob, j.meta.ETag, j.meta.Size)
	if err != nil {
		return err
	}
	if present {
		tr.fileStart(j.path, j.meta.Size, 0, "")
		tr.fileDone(j.path, true)
		return nil
	}
	unlock, err := lockFile(ctx, j.lock)
	if err != nil {
		return err
	}
	defer unlock()
	// Another pull may have finished (or repaired) the blob meanwhile.
	present, problem2, err := checkBlob(j.repo, j.path, j.blob, j.meta.ETag, j.meta.Size)
	switch {
	case err != nil:
		return err
	case present:
		tr.fileStart(j.path, j.meta.Size, 0, "")
		tr.fileDone(j.path, true)
		return nil
	case problem2 != "":
		if err := os.Remove(j.blob); err != nil {
			return fmt.Errorf("hub: removing the corrupt blob %s: %w: %w", j.blob, errLocal, err)
		}
		problem = problem2
	}
	return c.download(ctx, j, problem, tr)
}

// download fetches j into blob.incomplete, resuming what is there with a
// Range request, retrying dropped connections, then checks size and hash
// and renames the file into place. A failed check deletes the partial
// file; any other failure keeps it for the next attempt to resume.
func (c *Client) download(ctx context.Context, j blobJob, note string, tr *tracker) error {
	incomplete := j.blob + incompleteSuffix
	f, err := os.OpenFile(incomplete, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("hub: %w: %w", errLocal, err)
	}
	defer f.Close()
	v := newVerifier(j.meta.ETag, j.meta.Size)
	offset, err := resumeFrom(f, v, j.meta.Size)
	if err != nil {
		return fmt.Errorf("hub: %s: %w: %w", incomplete, errLocal, err)
	}
	tr.fileStart(j.path, j.meta.Size, offset, note)
	firstWait := orDefault(c.RetryWait, defaultRetryWait)
	wait := firstWait
	for failures := 0; j.meta.Size < 0 || offset < j.meta.Size; {
		before := offset
		err := c.transfer(ctx, j, f, v, &offset, tr)
		if err == nil && (j.meta.Size < 0 || offset == j.meta.Size) {
			break
		}
		if err == nil {
			err = fmt.Errorf("hub: %s: the connection closed after %d of %d bytes: %w", j.path, offset, j.meta.Size, io.ErrUnexpectedEOF)
		}
		if errors.Is(err, errRestart) {
			if err := restartFile(f, v); err != nil {
				return fmt.Errorf("hub: %s: %w: %w", incomplete, errLocal, err)
			}
			tr.restart(j.path)
			offset = 0
		}
		if offset > before {
			// Progress: the network works, it was only interrupted.
			failures, wait = 0, firstWait
		}
		failures++
		if !retryable(ctx, err) || failures >= orDefault(c.Retries, DefaultRetries) {
			return err
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return fmt.Errorf("hub: %s: %w", j.path, err)
		}
		wait = min(2*wait, maxRetryWait)
	}
	if err := v.check(j.repo, j.path, offset); err != nil {
		f.Close()
		os.Remove(incomplete) // nothing corrupt may stay to be resumed
		return err
	}
	if err := finishBlob(f, incomplete, j.blob); err != nil {
		return fmt.Errorf("hub: %s: %w: %w", j.blob, errLocal, err)
	}
	tr.fileDone(j.path, false)
	return nil
}

// resumeFrom positions f at its end and feeds its content to v: the bytes
// an earlier download left. A file longer than the expected size is
// started again.
func resumeFrom(f *os.File, v *verifier, size int64) (int64, error) {
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if size >= 0 && end > size {
		return 0, restartFile(f, v)
	}
	if end == 0 {
		return 0, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	if _, err := io.CopyN(v, f, end); err != nil {
		return 0, err
	}
	return end, nil
}

func restartFile(f *os.File, v *verifier) error {
	v.reset()
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// finishBlob makes the checked file durable and moves it into place; the
// rename is atomic, so blobs/<etag> is either absent or complete.
func finishBlob(f *os.File, incomplete, blob string) error {
	if err := f.Sync(); err != nil {
		return err
	}
	dropCachedPages(f)
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(incomplete, 0o644); err != nil {
		return err
	}
	return os.Rename(incomplete, blob)
}

// transfer GETs the file from *offset on and appends it to f, counting
// into *offset; it returns at the end of the body or on the first error.
func (c *Client) transfer(ctx context.Context, j blobJob, f *os.File, v *verifier, offset *int64, tr *tracker) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	hdr := http.Header{}
	if *offset > 0 {
		hdr.Set("Range", fmt.Sprintf("bytes=%d-", *offset))
	}
	resp, err := c.do(ctx, request{method: "GET", url: j.meta.Location, repo: j.repo, revision: j.revision, path: j.path,
		header: hdr, followRedirect: true})
	var he *HubError
	if errors.As(err, &he) && he.Status == http.StatusRequestedRangeNotSatisfiable {
		return errRestart
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent:
		cr, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || cr.First != *offset {
			return fmt.Errorf("hub: %s: asked for bytes %d-, got Content-Range %q: %w", j.path, *offset, resp.Header.Get("Content-Range"), errRestart)
		}
	case resp.StatusCode == http.StatusOK && *offset > 0:
		// The server ignored the Range: take the whole file.
		if err := restartFile(f, v); err != nil {
			return fmt.Errorf("hub: %w: %w", errLocal, err)
		}
		tr.restart(j.path)
		*offset = 0
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("hub: GET %s: unexpected status %s", j.meta.Location, resp.Status)
	}
	stall := orDefault(c.StallTimeout, DefaultStallTimeout)
	watchdog := time.AfterFunc(stall, func() { cancel(errStalled) })
	defer watchdog.Stop()
	var w io.Writer = f
	if c.wrapWriter != nil {
		w = c.wrapWriter(f)
	}
	buf := make([]byte, copyBufferSize)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			watchdog.Reset(stall)
			if j.meta.Size >= 0 && *offset+int64(n) > j.meta.Size {
				return fmt.Errorf("hub: %s: the server sent more than the %d bytes announced: %w", j.path, j.meta.Size, errRestart)
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return writeError(filepath.Dir(j.blob), j.meta.Size-*offset, err)
			}
			v.Write(buf[:n])
			*offset += int64(n)
			tr.add(j.path, int64(n))
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr == nil && ctx.Err() != nil {
			// Stop at once, even with data still buffered: what is
			// written stays for the next pull to resume.
			rerr = ctx.Err()
		}
		if rerr != nil {
			switch cause := context.Cause(ctx); {
			case errors.Is(cause, errStalled):
				return fmt.Errorf("hub: %s: no data for %s: %w: %w", j.path, stall, errNetwork, cause)
			case cause != nil:
				return fmt.Errorf("hub: %s: stopped after %d bytes: %w", j.path, *offset, cause)
			}
			return fmt.Errorf("hub: %s: download interrupted after %d bytes: %w: %w", j.path, *offset, errNetwork, rerr)
		}
	}
}

// writeError words a failed write: a full disk is a *DiskFullError, any
// other a local error that retrying will not fix.
func writeError(dir string, need int64, err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return &DiskFullError{Dir: dir, Need: need, Free: -1, Err: err}
	}
	return fmt.Errorf("hub: writing into %s: %w: %w", dir, errLocal, err)
}
