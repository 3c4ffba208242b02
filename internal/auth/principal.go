package auth

import (
	"path"
	"slices"
)

// AdminKeyID is the KeyID of the Principal of the bootstrap admin key, which
// is configured rather than stored; no stored key has this id.
const AdminKeyID = "admin"

// Principal is who a request acts as: the key it authenticated with.
type Principal struct {
	// KeyID is the key's id, or AdminKeyID for the bootstrap admin key.
	KeyID string
	// Name is the key's name.
	Name string
	// Scopes are the key's scopes.
	Scopes []Scope
	// Models restricts the models the key may use; empty allows all.
	Models []string
	// Limits are the key's rate limits and quotas.
	Limits Limits
	// Admin is set for the bootstrap admin key and keys with ScopeAdmin: it
	// allows every scope and model.
	Admin bool
}

// Allows reports whether the principal may call endpoints of scope s.
func (p *Principal) Allows(s Scope) bool {
	return p.Admin || slices.Contains(p.Scopes, s) || slices.Contains(p.Scopes, ScopeAdmin)
}

// AllowsModel reports whether the principal may use the model with this id.
// An entry of Models matches an id equal to it or, as a path.Match pattern,
// matching it ("Qwen/*"); the entry "*" matches every id, slashes included.
func (p *Principal) AllowsModel(id string) bool {
	if p.Admin || len(p.Models) == 0 {
		return true
	}
	for _, pattern := range p.Models {
		if modelMatches(pattern, id) {
			return true
		}
	}
	return false
}

// modelMatches applies one Models entry to a model id. A malformed pattern
// matches nothing beyond itself (validation rejects those before they are
// stored).
func modelMatches(pattern, id string) bool {
	if pattern == "*" || pattern == id {
		return true
	}
	ok, err := path.Match(pattern, id)
	return err == nil && ok
}

// principalOf is the principal of a stored key.
func principalOf(k *Key) *Principal {
	return &Principal{
		KeyID:  k.ID,
		Name:   k.Name,
		Scopes: slices.Clone(k.Scopes),
		Models: slices.Clone(k.Models),
		Limits: k.Limits,
		Admin:  slices.Contains(k.Scopes, ScopeAdmin),
	}
}

// adminPrincipal is the principal of the bootstrap admin key.
func adminPrincipal() *Principal {
	return &Principal{KeyID: AdminKeyID, Name: AdminKeyID, Scopes: []Scope{ScopeAdmin}, Admin: true}
}
