package web

import (
	"net/http"
	"time"
)

// The server bounds only the time to read request headers: each body is given
// its own time here, where it is read, and each large download its time to be
// sent, so that a client trickling bytes does not hold a connection.

// bodyDeadline bounds the time left to read the request body.
func bodyDeadline(w http.ResponseWriter, d time.Duration) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d)) // unsupported only by test recorders
}

// sendDeadline bounds the time left to write the response.
func sendDeadline(w http.ResponseWriter, d time.Duration) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
}
