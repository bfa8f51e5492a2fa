package main

import (
	"strings"
	"testing"
)

func TestUsersGrantListRevoke(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) result {
		t.Helper()
		return datahub(t, nil, append(args, "--data", data)...)
	}
	if r := run("users", "grant", "admin", "Ann@Example.gc.ca"); r.code != 0 || !strings.Contains(r.stdout, "granted admin for every project to ann@example.gc.ca") {
		t.Fatalf("grant admin: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// Flags may come after the role and the address.
	if r := datahub(t, nil, "users", "grant", "approver", "bob@example.gc.ca", "--project", "cfs", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "project CFS") {
		t.Fatalf("grant approver: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run("users", "grant", "approver", "bob@example.gc.ca", "--project", "CFS"); r.code != 0 || !strings.Contains(r.stdout, "already") {
		t.Fatalf("grant twice: %d %q", r.code, r.stdout)
	}
	r := run("users", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "ann@example.gc.ca") || !strings.Contains(r.stdout, "(all)") || !strings.Contains(r.stdout, "CFS") {
		t.Fatalf("list: %d %q", r.code, r.stdout)
	}
	if r := run("users", "revoke", "approver", "bob@example.gc.ca", "--project", "CFS"); r.code != 0 || !strings.Contains(r.stdout, "revoked") {
		t.Fatalf("revoke: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run("users", "revoke", "approver", "bob@example.gc.ca", "--project", "CFS"); r.code != 1 || !strings.Contains(r.stderr, "is not approver") {
		t.Fatalf("revoke twice: %d %q", r.code, r.stderr)
	}
	for _, bad := range [][]string{
		{"users", "grant", "owner", "x@example.gc.ca"},
		{"users", "grant", "admin", "not-an-address"},
		{"users", "grant", "admin", "x@example.gc.ca", "--project", "CFS"},
		{"users", "grant", "approver"},
		{"users", "frobnicate"},
	} {
		if r := run(bad...); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", bad, r.code, r.stderr)
		}
	}
}
