;; A root-only proxy-wasm plugin, as the Rust SDK builds one (hello_world): creating an HTTP
;; context panics, and the SDK's panic hook logs the message at critical level first.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 4096))
  (data (i32.const 16) "panicked at 'missing ContextType on root_context'")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param $ctx i32) (param $root i32)
    (if (local.get $root)
      (then
        (drop (call $log (i32.const 5) (i32.const 16) (i32.const 49)))
        (unreachable))))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (unreachable)))
