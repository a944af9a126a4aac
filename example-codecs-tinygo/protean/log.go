package protean

// LogLevel is a proxy-wasm log level.
type LogLevel int32

const (
	LogTrace LogLevel = iota
	LogDebug
	LogInfo
	LogWarn
	LogError
	LogCritical
)

var levelNames = [...]string{"trace", "debug", "info", "warn", "error", "critical"}

// Log writes message to the proxy's log at level.
func Log(level LogLevel, message string) { logMessage(level, message) }
