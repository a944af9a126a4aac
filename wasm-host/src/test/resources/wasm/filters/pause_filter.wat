;; A proxy-wasm filter that pauses (StopIteration) and never resumes, for the proxy's timeout
;; tests. The request header "pause" says where:
;;   pause: request   proxy_on_request_headers returns StopIteration
;;   pause: response  proxy_on_response_headers returns StopIteration
;; Any other request continues in both phases.
(module
  (import "env" "proxy_get_header_map_value"
    (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 4096))
  (data (i32.const 16) "pause")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  ;; The length of the request's "pause" value (7: request, 8: response), or 0 when it has none.
  (func $where (result i32)
    (if (result i32)
      (i32.eqz (call $get (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 32) (i32.const 36)))
      (then (i32.load (i32.const 36)))
      (else (i32.const 0))))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (i32.eq (call $where) (i32.const 7)))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
    (i32.eq (call $where) (i32.const 8))))
