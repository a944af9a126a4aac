//go:build wasm

package protean

import "unsafe"

//go:wasmimport env proxy_log
func proxyLog(level int32, ptr unsafe.Pointer, size int32) int32

func logMessage(level LogLevel, message string) {
	if len(message) == 0 {
		return
	}
	proxyLog(int32(level), unsafe.Pointer(unsafe.StringData(message)), int32(len(message)))
}
