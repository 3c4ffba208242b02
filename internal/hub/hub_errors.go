package hub

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrOffline matches (with errors.Is) the error of any Hub request made
// while HF_HUB_OFFLINE is set.
var ErrOffline = errors.New("hub: offline mode is on (HF_HUB_OFFLINE=1): no download is attempted; unset HF_HUB_OFFLINE to download, or use a model already in the cache")

// HubErrorKind classifies a failed Hub request by the X-Error-Code header
// the Hub sends, falling back on the status code as huggingface_hub's
// hf_raise_for_status does.
type HubErrorKind string

// The kinds of Hub errors hfserve tells apart.
const (
	KindRepoNotFound     HubErrorKind = "RepoNotFound"
	KindRevisionNotFound HubErrorKind = "RevisionNotFound"
	KindEntryNotFound    HubErrorKind = "EntryNotFound"
	KindGatedRepo        HubErrorKind = "GatedRepo"
	KindBadToken         HubErrorKind = "BadToken"
	KindServer           HubErrorKind = "Server" // 5xx and 429: worth a retry
	KindOther            HubErrorKind = "Other"
)

// badTokenMessage is the X-Error-Message the Hub sends with 401 for a token
// it does not know; huggingface_hub tells it apart from RepoNotFound.
const badTokenMessage = "Invalid credentials in Authorization header"

// HubError is a Hub request that got an error status.
type HubError struct {
	Kind     HubErrorKind
	Status   int
	Repo     string // the repo id the request was about
	Revision string
	Path     string // the file, for EntryNotFound
	URL      string
	// Message is the Hub's X-Error-Message, or the start of its body.
	Message string
	// HasToken says whether the request carried a token, which changes
	// the advice for 401/403.
	HasToken bool
}

func (e *HubError) Error() string {
	model := e.Repo
	if e.Revision != "" && e.Revision != DefaultRevision && !IsCommitHash(e.Revision) {
		model += "@" + e.Revision
	}
	detail := fmt.Sprintf("HTTP %d from %s", e.Status, e.URL)
	if e.Message != "" {
		detail += ": " + e.Message
	}
	switch e.Kind {
	case KindRepoNotFound:
		hint := "check the spelling"
		if !e.HasToken {
			hint += "; a private repo needs a token: set HF_TOKEN or run `huggingface-cli login`"
		} else {
			hint += "; the token sent may not have access to a private repo"
		}
		return fmt.Sprintf("hub: model %q does not exist on the Hub or is private (%s) [%s]", e.Repo, hint, detail)
	case KindRevisionNotFound:
		return fmt.Sprintf("hub: model %q has no revision %q (a branch, tag or commit) [%s]", e.Repo, e.Revision, detail)
	case KindEntryNotFound:
		return fmt.Sprintf("hub: model %q: file %q not found at revision %q [%s]", model, e.Path, e.Revision, detail)
	case KindGatedRepo:
		if !e.HasToken {
			return fmt.Sprintf("hub: model %q is gated: accept its terms on its Hub page, then set HF_TOKEN to an access token "+
				"or run `huggingface-cli login` [%s]", model, detail)
		}
		return fmt.Sprintf("hub: model %q is gated and the token sent has no access: accept its terms on its Hub page "+
			"with the account the token belongs to (or set HF_TOKEN to another token) [%s]", model, detail)
	case KindBadToken:
		return fmt.Sprintf("hub: the Hub rejected the token (invalid or expired): fix HF_TOKEN or run `huggingface-cli login` again [%s]", detail)
	case KindServer:
		return fmt.Sprintf("hub: model %q: the Hub failed (%s); try again later [%s]", model, http.StatusText(e.Status), detail)
	default:
		return fmt.Sprintf("hub: model %q: request failed [%s]", model, detail)
	}
}

// Is makes errors.Is(err, ErrNotFound) true for a repo, revision or file
// the Hub does not have.
func (e *HubError) Is(target error) bool {
	return target == ErrNotFound && (e.Kind == KindRepoNotFound || e.Kind == KindRevisionNotFound || e.Kind == KindEntryNotFound)
}

// Temporary reports whether trying again may succeed.
func (e *HubError) Temporary() bool { return e.Kind == KindServer }

// classify names a failed response's kind from its status and the Hub's
// X-Error-Code / X-Error-Message headers.
func classify(status int, code, message string) HubErrorKind {
	switch code {
	case "RepoNotFound":
		return KindRepoNotFound
	case "RevisionNotFound":
		return KindRevisionNotFound
	case "EntryNotFound":
		return KindEntryNotFound
	case "GatedRepo":
		return KindGatedRepo
	}
	switch {
	case status == http.StatusUnauthorized && message == badTokenMessage:
		return KindBadToken
	case status == http.StatusUnauthorized:
		// The Hub answers 401 for a repo it will not show to an anonymous
		// caller: missing and private look the same.
		return KindRepoNotFound
	case status == http.StatusNotFound:
		return KindRepoNotFound
	case status == http.StatusTooManyRequests, status >= 500:
		return KindServer
	}
	return KindOther
}

// ChecksumError is a downloaded file whose size or hash is not what the Hub
// announced. The partial file is deleted, so nothing corrupt stays.
type ChecksumError struct {
	Repo, Path string
	What       string // "size" or "sha256" or "git sha1"
	Want, Got  string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("hub: %s: %s: downloaded file has %s %s, the Hub announced %s; the download was deleted, pull again",
		e.Repo, e.Path, e.What, e.Got, e.Want)
}

// NoSafetensorsError is a repo without safetensors weights, which hfserve
// cannot read.
type NoSafetensorsError struct {
	Repo, Commit string
	// Formats lists the weight files the repo has instead, with their
	// format ("pytorch_model.bin (PyTorch pickle)").
	Formats []string
}

func (e *NoSafetensorsError) Error() string {
	have := "no weight files at all"
	if len(e.Formats) > 0 {
		shown := e.Formats
		if len(shown) > maxListed {
			shown = append(shown[:maxListed:maxListed], fmt.Sprintf("%d more", len(e.Formats)-maxListed))
		}
		have = "only " + strings.Join(shown, ", ")
	}
	return fmt.Sprintf("hub: model %q has no safetensors weights (it has %s); hfserve reads only safetensors: "+
		"look for a safetensors version of the model (or pass --include to download other files anyway)", e.Repo, have)
}

// DiskFullError is a download that ran out of space.
type DiskFullError struct {
	Dir string
	// Need is the bytes still to download; Free what the file system
	// reported free (-1: unknown, the write itself failed).
	Need, Free int64
	Err        error
}

func (e *DiskFullError) Error() string {
	if e.Free >= 0 {
		return fmt.Sprintf("hub: not enough disk space in %s: the download needs %s more, only %s is free; free some space "+
			"(or point HF_HUB_CACHE elsewhere) and pull again", e.Dir, formatBytes(e.Need), formatBytes(e.Free))
	}
	return fmt.Sprintf("hub: disk full while downloading into %s (%v); free some space (or point HF_HUB_CACHE elsewhere) "+
		"and pull again: the download resumes where it stopped", e.Dir, e.Err)
}

func (e *DiskFullError) Unwrap() error { return e.Err }

// formatBytes writes n in decimal units as huggingface_hub's progress does.
func formatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// weightFormats names the non-safetensors weight formats by file suffix.
var weightFormats = [...]struct{ suffix, format string }{
	{".bin", "PyTorch pickle"},
	{".pt", "PyTorch pickle"},
	{".pth", "PyTorch pickle"},
	{".ckpt", "checkpoint"},
	{".h5", "TensorFlow/Keras"},
	{".msgpack", "Flax"},
	{".onnx", "ONNX"},
	{".gguf", "GGUF"},
	{".ot", "rust-bert"},
	{".tflite", "TensorFlow Lite"},
}

// weightFormat names the format of a weight file, or "" when path is not
// one.
func weightFormat(path string) string {
	for _, w := range weightFormats {
		if strings.HasSuffix(strings.ToLower(path), w.suffix) {
			return w.format
		}
	}
	return ""
}
