package loopback

import "testing"

func TestDatabaseURL(t *testing.T) {
	for url, ok := range map[string]bool{
		"postgres:///db?host=/var/run/postgresql":          true,
		"postgres://u@127.0.0.1:5432/db":                   true,
		"postgres://u@[::1]/db":                            true,
		"postgres://u@db.example/db":                       false, // a name: never looked up
		"postgres://u@10.0.0.1/db":                         false,
		"postgres://u@127.0.0.1,10.0.0.1/db":               false, // a fallback host counts too
		"postgres://u@127.0.0.1/db?host=/tmp,192.168.1.10": false,
	} {
		if err := DatabaseURL(url); (err == nil) != ok {
			t.Errorf("DatabaseURL(%q) = %v, want ok=%v", url, err, ok)
		}
	}
}
