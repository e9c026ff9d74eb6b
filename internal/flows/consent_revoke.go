package flows

import (
	"fmt"
	"strings"
)

// Re-consent may revoke grants: "granting tenant-wide admin consent may revoke
// permissions that have already been granted tenant-wide for that application"
// (entra/identity/enterprise-apps/grant-admin-consent). Consent grants what the app's
// registration requests; a tenant-wide delegated grant beyond it may go.

// MayRevoke are the tenant-wide grants the app holds beyond what the catalog
// requires (r.Extra): what consenting again may take away. Nil when r is nil.
func MayRevoke(r *Result) []ExtraGrant {
	if r == nil || len(r.Extra) == 0 {
		return nil
	}
	return append([]ExtraGrant(nil), r.Extra...)
}

// Revoked are the grants of before.Extra that after no longer has: what consent took
// away. Nil when either is nil.
func Revoked(before, after *Result) []ExtraGrant {
	if before == nil || after == nil {
		return nil
	}
	has := map[ExtraGrant]bool{}
	for _, e := range after.Extra {
		has[e] = true
	}
	var out []ExtraGrant
	for _, e := range before.Extra {
		if !has[e] {
			out = append(out, e)
		}
	}
	return out
}

// RevokeNotice is the sentence said before consent (when may is not empty) or after
// it (done: these went); "" when there is nothing to say.
func RevokeNotice(grants []ExtraGrant, done bool) string {
	if len(grants) == 0 {
		return ""
	}
	names := make([]string, len(grants))
	for i, g := range grants {
		names[i] = g.API + " " + g.Permission + " (" + g.Type + ")"
	}
	if done {
		return fmt.Sprintf("Consent removed grants the app held tenant-wide beyond what it requests: %s.", strings.Join(names, ", "))
	}
	return fmt.Sprintf("Granting admin consent may revoke what the app holds tenant-wide beyond what it requests: %s "+
		"(Microsoft: re-consent may revoke permissions granted tenant-wide before).", strings.Join(names, ", "))
}
