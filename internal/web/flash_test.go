package web_test

import (
	"testing"
)

// A confirmation is read once from the session: a reload, or the same address
// opened by someone else, does not show it again.
func TestFlashShownOnce(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	r := admin.post(t, "/admin/targets", "project", "CFS", "registry_url", "https://registry.example", "organization", "cfs-scf")
	loc := r.header.Get("Location")
	has(t, admin.get(t, loc), `id="flash"`, "The publishing target was saved.")
	lacks(t, admin.get(t, loc), `id="flash"`)
	other := rig.as(t, "root@example.gc.ca", adminRole)
	lacks(t, other.get(t, "/admin/targets?flash=target_deleted"), `id="flash"`)
}
