//go:build !wasm

package protean

import "os"

// Outside Wasm (go test) the proxy's log is standard error.
func logMessage(level LogLevel, message string) {
	os.Stderr.WriteString("[" + levelNames[level] + "] " + message + "\n")
}
