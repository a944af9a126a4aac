package protean

import "unsafe"

// address is where b starts in linear memory (in Wasm; outside it, only for tests to compile).
func address(b []byte) int32 { return int32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

// HealthCheckRequest serves the optional export protean_codec_health_check_request, which a
// module declares in its main package (see HealthChecker) when its codec builds health-check
// requests: an export in this package would be in every module, and the proxy tells modules
// that can from those that cannot by the export alone.
func HealthCheckRequest(id int64, optionsLen int32) int32 {
	return address(d.healthCheckRequest(uint64(id), optionsLen))
}
