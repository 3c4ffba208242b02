package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"hfserve/api"
	"hfserve/internal/auth"
)

// KeyAdmin is what the key admin endpoints need; *auth.Manager implements
// it.
type KeyAdmin interface {
	Create(ctx context.Context, spec auth.KeySpec) (auth.Key, string, error)
	Get(ctx context.Context, id string) (auth.Key, error)
	List(ctx context.Context) ([]auth.Key, error)
	Revoke(ctx context.Context, id string) (auth.Key, error)
	Rotate(ctx context.Context, id string) (auth.Key, string, error)
}

var _ KeyAdmin = (*auth.Manager)(nil)

// HandleAdminKeys registers the API key admin endpoints:
//
//	POST   /admin/keys              create a key (api.KeyCreateRequest): 201 api.AdminKeySecret
//	GET    /admin/keys              every key, newest first (api.AdminKeyList)
//	GET    /admin/keys/{id}         one key (api.AdminKey)
//	DELETE /admin/keys/{id}         revoke it; answers the key, revoked
//	POST   /admin/keys/{id}/rotate  a new secret: api.AdminKeySecret
//
// A secret is in an answer only when it was just made, and never again.
// Bad fields are 400 with the field as param, an unknown id 404, rotating
// a revoked key 409, a store that fails 503. Mount behind the admin scope
// (withAuth does, for everything under /admin).
func (s *Server) HandleAdminKeys(k KeyAdmin) {
	s.Handle("POST /admin/keys", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		spec, ok := s.decodeKeySpec(w, r)
		if !ok {
			return
		}
		key, secret, err := k.Create(r.Context(), spec)
		if err != nil {
			s.writeKeyError(w, r, err)
			return
		}
		w.Header().Set("Location", "/admin/keys/"+key.ID)
		s.writeKeySecret(w, r, http.StatusCreated, key, secret)
	}))
	s.Handle("GET /admin/keys", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys, err := k.List(r.Context())
		if err != nil {
			s.writeKeyError(w, r, err)
			return
		}
		list := api.AdminKeyList{Object: api.ObjectList, Data: make([]api.AdminKey, 0, len(keys))}
		now := s.now()
		for i := range keys {
			list.Data = append(list.Data, adminKey(&keys[i], now))
		}
		w.Header().Set("Cache-Control", "no-store")
		s.writeJSON(w, r, http.StatusOK, list)
	}))
	s.Handle("GET /admin/keys/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.answerKey(w, r, func(ctx context.Context, id string) (auth.Key, error) { return k.Get(ctx, id) })
	}))
	s.Handle("DELETE /admin/keys/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.answerKey(w, r, func(ctx context.Context, id string) (auth.Key, error) { return k.Revoke(ctx, id) })
	}))
	s.Handle("POST /admin/keys/{id}/rotate", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, secret, err := k.Rotate(r.Context(), r.PathValue("id"))
		if err != nil {
			s.writeKeyError(w, r, err)
			return
		}
		s.writeKeySecret(w, r, http.StatusOK, key, secret)
	}))
}

// decodeKeySpec reads the body of POST /admin/keys, answering 400 itself
// when it is not a valid api.KeyCreateRequest. Unknown fields are refused:
// a misspelt limit must not create an unlimited key.
func (s *Server) decodeKeySpec(w http.ResponseWriter, r *http.Request) (auth.KeySpec, bool) {
	var req api.KeyCreateRequest
	if re := decodeRequest(r, &req); re != nil {
		var perr *time.ParseError
		if re.Param == "" && errors.As(re.Err, &perr) {
			// time.Time's own error names no field; expires_at is the only time.
			re.Param, re.Message = "expires_at", "expires_at must be an RFC 3339 time such as 2026-12-31T23:59:59Z"
		}
		WriteError(w, r, re.Status, "", codeFor(re.Status), re.Param, re.Message)
		return auth.KeySpec{}, false
	}
	spec := auth.KeySpec{
		Name: req.Name, Models: req.Models, ExpiresAt: req.ExpiresAt,
		Limits: auth.Limits{RPM: req.RPM, TPM: req.TPM, MaxConcurrent: req.MaxConcurrent,
			DailyTokens: req.DailyTokens, MonthlyTokens: req.MonthlyTokens},
	}
	for _, sc := range req.Scopes {
		spec.Scopes = append(spec.Scopes, auth.Scope(sc))
	}
	return spec, true
}

// answerKey answers with the key op returns for the path's id.
func (s *Server) answerKey(w http.ResponseWriter, r *http.Request, op func(ctx context.Context, id string) (auth.Key, error)) {
	key, err := op(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeKeyError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, adminKey(&key, s.now()))
}

// writeKeySecret answers with a key and its new secret, which no cache
// may keep.
func (s *Server) writeKeySecret(w http.ResponseWriter, r *http.Request, status int, key auth.Key, secret string) {
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, status, api.AdminKeySecret{AdminKey: adminKey(&key, s.now()), Key: secret})
}

// writeKeyError answers with the HTTP form of a key admin error.
func (s *Server) writeKeyError(w http.ResponseWriter, r *http.Request, err error) {
	var verr *auth.ValidationError
	switch {
	case errors.As(err, &verr):
		WriteError(w, r, http.StatusBadRequest, api.ErrTypeInvalidRequest, "invalid_value", verr.Field, verr.Error())
	case errors.Is(err, auth.ErrKeyNotFound):
		WriteError(w, r, http.StatusNotFound, api.ErrTypeInvalidRequest, "key_not_found", "",
			fmt.Sprintf("no API key with id %q", r.PathValue("id")))
	case errors.Is(err, auth.ErrRevokedKey):
		WriteError(w, r, http.StatusConflict, api.ErrTypeInvalidRequest, "key_revoked", "",
			fmt.Sprintf("API key %q is revoked; create a new key instead", r.PathValue("id")))
	default:
		s.log.ErrorContext(r.Context(), "admin keys", "err", err)
		w.Header().Set("Retry-After", "1")
		WriteError(w, r, http.StatusServiceUnavailable, api.ErrTypeServiceUnavailable, "auth_store_unavailable", "",
			"the key store could not be reached; try again")
	}
}

// adminKey is a stored key as the admin API shows it, its state as of now.
func adminKey(k *auth.Key, now time.Time) api.AdminKey {
	out := api.AdminKey{
		ID: k.ID, Object: api.ObjectAdminKey, Name: k.Name, Prefix: k.Prefix,
		Scopes: make([]string, 0, len(k.Scopes)), Models: k.Models,
		KeyLimits: api.KeyLimits{RPM: k.RPM, TPM: k.TPM, MaxConcurrent: k.MaxConcurrent,
			DailyTokens: k.DailyTokens, MonthlyTokens: k.MonthlyTokens},
		State: string(k.State(now)), CreatedAt: k.CreatedAt,
		ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, RotatedAt: k.RotatedAt, LastUsedAt: k.LastUsedAt,
	}
	if out.Models == nil {
		out.Models = []string{}
	}
	for _, sc := range k.Scopes {
		out.Scopes = append(out.Scopes, string(sc))
	}
	return out
}
